import { navigate } from '../app/router';
import { paths } from '../app/routes';
import type { Workspace } from '../app/workspace';

const NEW = '__new__';

/** The "Workspace" select: choosing one opens its overview; the last option creates one. */
export function WorkspaceSwitcher({
  workspaces,
  current,
}: {
  workspaces: Workspace[];
  current: Workspace;
}) {
  return (
    <div className="switcher">
      <label htmlFor="workspace-switcher">Workspace</label>
      <select
        id="workspace-switcher"
        value={current.slug}
        onChange={(event) => {
          const slug = event.target.value;
          navigate(slug === NEW ? '/?new' : paths.overview(slug));
        }}
      >
        {workspaces.map((workspace) => (
          <option key={workspace.id} value={workspace.slug}>
            {workspace.name}
          </option>
        ))}
        <option value={NEW}>+ New workspace…</option>
      </select>
    </div>
  );
}
