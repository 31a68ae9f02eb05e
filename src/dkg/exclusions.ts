/** Why a member's seats were excluded from a DKG; each is a metric label. */
export const EXCLUSION_REASONS = [
  'no_announcement',
  'invalid_announcement',
  'no_round1',
  'invalid_round1',
  'no_round2',
  'equivocation',
  'complaint_upheld',
  'false_complaint',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];
