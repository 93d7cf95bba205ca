export function checkWorktree(storeDir: string, worktree: string): Promise<string[]>;
export function checkQuiescent(storeDir: string, worktrees: string[]): string[];
export function checkInvariants(opts: { storeDir: string; worktrees: string[]; quiescent?: boolean }): Promise<string[]>;
