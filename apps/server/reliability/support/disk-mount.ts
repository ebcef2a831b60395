import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Real storage for the disk suite: a small tmpfs (disk full, read-only at start) and an
// ext4 image on a loop device (read-only while running: Linux refuses `remount,ro` while a
// file is open for writing, so a running server only ever sees its file system turn
// read-only when the kernel does it after an error — ext4's errors=remount-ro).

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why mounting is not possible here (not root, no mount), or undefined when it is. */
export function cannotMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'trellis-disk-probe-'));
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    run('umount', [dir]);
    return undefined;
  } catch (error) {
    return `mount -t tmpfs is not permitted here: ${String(error).split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why an ext4 loop image cannot be used (no mkfs.ext4, no loop devices), or undefined. */
export function cannotLoopExt4(): string | undefined {
  const mount = mountExt4(8);
  if (typeof mount === 'string') return mount;
  mount.unmount();
  return undefined;
}

/** A mounted file system the suite owns; `unmount` is safe to call twice. */
export interface Mount {
  dir: string;
  remount(mode: 'ro' | 'rw'): void;
  unmount(): void;
}

/** Mounts a tmpfs of `megabytes` on a fresh directory. */
export function mountTmpfs(megabytes: number): Mount {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-disk-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    remount: (mode) => run('mount', ['-o', `remount,${mode}`, dir]),
    unmount() {
      if (mounted) run('umount', ['-l', dir]);
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ext4 image with errors=remount-ro, loop-mounted; `fail()` makes the kernel turn it read-only. */
export interface Ext4Mount extends Mount {
  /** Reports a file system error (ext4's trigger_fs_error): the kernel remounts it read-only. */
  fail(): void;
  /** Unmounts, repairs (e2fsck) and mounts it again, as an operator would after an error. */
  repair(): void;
}

/** Mounts a fresh ext4 image of `megabytes`, or says why it cannot. */
export function mountExt4(megabytes: number): Ext4Mount | string {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ext4-'));
  const image = `${dir}.img`;
  try {
    run('truncate', ['-s', `${megabytes}M`, image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(image, { force: true });
    return `an ext4 image on a loop device is not available here: ${String(error).split('\n')[0]}`;
  }
  let mounted = true;
  const device = () =>
    execFileSync('findmnt', ['-n', '-o', 'SOURCE', dir]).toString().trim().split('/').pop() ?? '';
  return {
    dir,
    remount: (mode) => run('mount', ['-o', `remount,${mode}`, dir]),
    fail() {
      execFileSync('sh', ['-c', `echo 1 > /sys/fs/ext4/${device()}/trigger_fs_error`]);
    },
    repair() {
      run('umount', [dir]);
      mounted = false;
      // Exit code 1 means "errors corrected", which is the point; only >= 4 is a failure.
      try {
        run('e2fsck', ['-fy', image]);
      } catch (error) {
        if ((error as { status?: number }).status !== 1) throw error;
      }
      run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
      mounted = true;
    },
    unmount() {
      if (mounted) run('umount', ['-l', dir]);
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
      rmSync(image, { force: true });
    },
  };
}

/** Writes `path` until the disk is full (ENOSPC); returns the bytes it took. */
export function fillDisk(path: string): number {
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOSPC') break;
        throw error;
      }
    }
    // Down to the last bytes: smaller writes take what a 64 KiB one could not.
    for (const size of [4096, 512, 1]) {
      try {
        for (;;) written += writeSync(fd, chunk.subarray(0, size));
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOSPC') throw error;
      }
    }
    return written;
  } finally {
    closeSync(fd);
  }
}

/** Frees what {@link fillDisk} took. */
export function freeDisk(path: string): void {
  unlinkSync(path);
}
