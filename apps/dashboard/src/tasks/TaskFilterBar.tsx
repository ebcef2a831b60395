import { type FormEvent, useEffect, useState } from 'react';
import { SORTS, type TaskFilters, UNASSIGNED } from './filters';
import { STATUSES } from './taskFields';
import { useMembers, useProjects } from './useWorkspaceData';

const SEARCH_DELAY_MS = 250;

/** The task list's filters: project, statuses, assignee, label, search text, order. Each
 * change goes to the URL (search text after a pause in typing, or at once on Enter). */
export function TaskFilterBar({
  filters,
  onChange,
}: {
  filters: TaskFilters;
  onChange: (patch: Partial<TaskFilters>) => void;
}) {
  const projects = useProjects();
  const members = useMembers();
  const [q, setQ] = useState(filters.q);
  const [label, setLabel] = useState(filters.label);

  // Follow the URL when it changes from elsewhere (back button, a link).
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => setLabel(filters.label), [filters.label]);
  useEffect(() => {
    if (q === filters.q && label === filters.label) return;
    const timer = setTimeout(() => onChange({ q, label }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [q, label, filters.q, filters.label, onChange]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange({ q, label });
  };
  const toggleStatus = (status: (typeof STATUSES)[number], on: boolean) =>
    onChange({
      statuses: on
        ? STATUSES.filter((s) => s === status || filters.statuses.includes(s))
        : filters.statuses.filter((s) => s !== status),
    });

  return (
    <search className="filters card">
      <form onSubmit={submit} className="filter-form">
        <div className="field">
          <label htmlFor="filter-q">Search</label>
          <input
            id="filter-q"
            type="search"
            value={q}
            placeholder="Title or description"
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="filter-project">From project</label>
          <select
            id="filter-project"
            value={filters.project}
            onChange={(e) => onChange({ project: e.target.value })}
          >
            <option value="">All projects</option>
            {projects.data?.map((project) => (
              <option key={project.id} value={project.id}>
                {project.key} · {project.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-assignee">Assigned to</label>
          <select
            id="filter-assignee"
            value={filters.assignee}
            onChange={(e) => onChange({ assignee: e.target.value })}
          >
            <option value="">Anyone</option>
            <option value={UNASSIGNED}>Unassigned</option>
            {members.data?.map((member) => (
              <option key={member.userId} value={member.userId}>
                {member.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-label">With label</label>
          <input id="filter-label" value={label} onChange={(e) => setLabel(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="filter-sort">Sort by</label>
          <select
            id="filter-sort"
            value={filters.sort}
            onChange={(e) => onChange({ sort: e.target.value as TaskFilters['sort'] })}
          >
            {SORTS.map((sort) => (
              <option key={sort} value={sort}>
                {sort}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-order">Order</label>
          <select
            id="filter-order"
            value={filters.order}
            onChange={(e) => onChange({ order: e.target.value === 'asc' ? 'asc' : 'desc' })}
          >
            <option value="desc">descending</option>
            <option value="asc">ascending</option>
          </select>
        </div>
        <fieldset className="statuses">
          <legend>Statuses</legend>
          {STATUSES.map((status) => (
            <label key={status} className="check">
              <input
                type="checkbox"
                checked={filters.statuses.includes(status)}
                onChange={(e) => toggleStatus(status, e.target.checked)}
              />{' '}
              {status}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="visually-hidden" tabIndex={-1}>
          Apply filters
        </button>
      </form>
    </search>
  );
}
