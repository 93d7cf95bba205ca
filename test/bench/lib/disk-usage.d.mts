export class DiskUsage {
  physical: Record<string, number>;
  allocated: Record<string, number>;
  logical: number;
  files: number;
  add(root: string, category: (rel: string) => string, skip?: (rel: string) => boolean): this;
  readonly physicalTotal: number;
  readonly allocatedTotal: number;
}
export function storeCategory(rel: string): string;
export function skipRepoMarkers(rel: string): boolean;
export function worktreeLogicalBytes(repo: string): { bytes: number; files: number };
