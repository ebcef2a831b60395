import type { RouterOutputs } from '@trellis/client';
import { createContext, useContext } from 'react';

/** A workspace the signed-in user belongs to, with their role in it. */
export type Workspace = RouterOutputs['auth']['me']['workspaces'][number];

/** A workspace role, weakest last. */
export type Role = Workspace['role'];

const RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** True when `role` is `least` or above. */
export function atLeast(role: Role, least: Role): boolean {
  return RANK[role] >= RANK[least];
}

/** The workspace the current page belongs to. */
export const WorkspaceContext = createContext<Workspace | null>(null);

/** The current page's workspace; only inside the workspace shell. */
export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error('useWorkspace outside a workspace page');
  return workspace;
}
