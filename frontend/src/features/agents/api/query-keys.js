/**
 * The agents feature's query keys. Nodes live under the admin pages' root, so a change to
 * a node refetches what depends on it there too (stats, bookings, the timeline).
 */
export const agentKeys = {
  adminAll: ['admin'],
  list: () => [...agentKeys.adminAll, 'agents'],
};
