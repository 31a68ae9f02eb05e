/** What a follower holds against a coordination leader (keep-core's fault kinds). */
export const LEADER_FAULTS = ['leader_impersonation', 'leader_mistake', 'leader_idleness'] as const;
export type LeaderFault = (typeof LEADER_FAULTS)[number];
