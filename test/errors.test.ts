// One error model across the workspace (docs/ARCHITECTURE.md, "Errors"): every
// package's class extends SwampStoreError, which is what the CLI tests for.
import { describe, expect, it } from 'vitest';
import { SwampStoreError, mapFsError, isSwampStoreError } from '@swamp-store/primitives';
import { LockError } from '@swamp-store/lock';
import { StoreError } from '@swamp-store/store';
import { WorktreeError } from '@swamp-store/worktree';
import { RegistryError } from '@swamp-store/registry';
import { OciError } from '@swamp-store/oci';

describe('errors', () => {
  it('every package error is a SwampStoreError with its own name, code and remedy', () => {
    const errors = [
      new LockError('E_LOCK_TIMEOUT', 'm', 'r'),
      new StoreError('E_MANIFEST', 'm', 'r'),
      new WorktreeError('E_LOCKFILE', 'm', 'r'),
      new RegistryError('E_NETWORK', 'm', 'r', { status: 503, retryable: true }),
      new OciError('E_REMOTE', 'm', 'r', { status: 500 }),
    ];
    expect(errors.map((e) => e.name)).toEqual(['LockError', 'StoreError', 'WorktreeError', 'RegistryError', 'OciError']);
    for (const e of errors) {
      expect(e).toBeInstanceOf(SwampStoreError);
      expect(isSwampStoreError(e)).toBe(true);
      expect([e.message, e.remedy]).toEqual(['m', 'r']);
    }
    expect((errors[3] as RegistryError).retryable).toBe(true);
    expect(isSwampStoreError(Object.assign(new Error('x'), { code: 'E_USAGE' }))).toBe(false);
  });

  it('mapFsError turns a full disk into E_NO_SPACE of the caller\'s class and leaves anything else alone', () => {
    const full = Object.assign(new Error('write'), { code: 'ENOSPC' });
    const mapped = mapFsError(full, 'writing x', StoreError);
    expect(mapped).toBeInstanceOf(StoreError);
    expect(mapped).toMatchObject({ code: 'E_NO_SPACE', cause: full });
    expect(mapFsError(Object.assign(new Error('q'), { code: 'EDQUOT' }), 'w', WorktreeError)).toBeInstanceOf(WorktreeError);
    const other = Object.assign(new Error('x'), { code: 'EIO' });
    expect(mapFsError(other, 'writing x', StoreError)).toBe(other);
  });
});
