import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_access_control.js';
import * as m0003 from './0003_domain.js';
import * as m0004 from './0004_task_list_indexes.js';
import * as m0005 from './0005_stats_indexes.js';
import * as m0006 from './0006_idempotency.js';
import * as m0007 from './0007_accounts.js';
import * as m0008 from './0008_workspace_event_seq.js';
import * as m0009 from './0009_webhooks.js';
import * as m0010 from './0010_stream_leases.js';
import * as m0011 from './0011_subtasks.js';
import * as m0012 from './0012_task_relations.js';
import * as m0013 from './0013_workflow_states.js';
import * as m0014 from './0014_trash.js';
import * as m0015 from './0015_views.js';
import * as m0016 from './0016_import_jobs.js';
import * as m0017 from './0017_people.js';
import * as m0018 from './0018_attachments.js';

/**
 * Every migration in order. Listed by hand rather than read from disk so that the same
 * list works from TypeScript sources, the built `dist/`, and a bundle.
 */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_access_control': m0002,
  '0003_domain': m0003,
  '0004_task_list_indexes': m0004,
  '0005_stats_indexes': m0005,
  '0006_idempotency': m0006,
  '0007_accounts': m0007,
  '0008_workspace_event_seq': m0008,
  '0009_webhooks': m0009,
  '0010_stream_leases': m0010,
  '0011_subtasks': m0011,
  '0012_task_relations': m0012,
  '0013_workflow_states': m0013,
  '0014_trash': m0014,
  '0015_views': m0015,
  '0016_import_jobs': m0016,
  '0017_people': m0017,
  '0018_attachments': m0018,
};
