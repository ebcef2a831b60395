import { type Kysely, sql } from 'kysely';

// Frozen in time, like every migration: no imports of the app's schema types.

export async function up(db: Kysely<unknown>): Promise<void> {
  // When the account proved it owns its email (a verification link, a password reset
  // from the mailbox, or an OAuth/OIDC issuer that vouched for it); null until then.
  await db.schema.alterTable('users').addColumn('email_verified_at', 'text').execute();
  // Accounts that came from an issuer were vouched for when they were made.
  await sql`
    update users set email_verified_at = created_at
    where exists (select 1 from oauth_accounts where oauth_accounts.user_id = users.id)
  `.execute(db);

  // A token whose creator lost the admin role is now revoked for good when it happens;
  // tokens suspended that way before this migration are revoked now, so that promoting
  // their creator again cannot bring them back.
  await sql`
    update api_tokens set revoked_at = ${new Date().toISOString()}
    where revoked_at is null
      and not exists (
        select 1 from memberships m
        where m.workspace_id = api_tokens.workspace_id
          and m.user_id = api_tokens.created_by
          and m.role in ('owner', 'admin')
      )
  `.execute(db);

  // Single-use links sent by mail: verify the address, reset the password, or confirm a
  // new address (`email` is the address the link was sent to). Only a SHA-256 of the
  // secret is stored.
  await db.schema
    .createTable('email_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) =>
      c.notNull().check(sql`purpose in ('verify_email', 'reset_password', 'change_email')`),
    )
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema
    .createIndex('email_tokens_user_idx')
    .on('email_tokens')
    .columns(['user_id', 'purpose'])
    .execute();

  // Devices that signed in successfully before (OWASP "device cookies"): failures from
  // elsewhere do not lock them out. Only a SHA-256 of the secret is stored.
  await db.schema
    .createTable('trusted_devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('trusted_devices_user_idx')
    .on('trusted_devices')
    .columns(['user_id', 'last_used_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('trusted_devices').ifExists().execute();
  await db.schema.dropTable('email_tokens').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('email_verified_at').execute();
}
