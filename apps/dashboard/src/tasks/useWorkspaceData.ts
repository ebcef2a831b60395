import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../app/trpc';
import { useWorkspace } from '../app/workspace';

/** The workspace's projects (not archived), for selects and the projects page. */
export function useProjects() {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  return useQuery(trpc.projects.list.queryOptions({ workspaceId: workspace.id }));
}

/** The workspace's members, for assignee selects and the members page. */
export function useMembers() {
  const trpc = useTRPC();
  const workspace = useWorkspace();
  return useQuery(trpc.members.list.queryOptions({ workspaceId: workspace.id }));
}
