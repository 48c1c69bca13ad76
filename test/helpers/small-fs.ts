// A small tmpfs mounted for one test: a real filesystem that fills up (ENOSPC, SQLITE_FULL) or is
// remounted read-only under a running server. Mounting needs root (CI runs as root); elsewhere
// `mountSmallFs` returns null and the test skips with the reason.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallFs {
  dir: string;
  /** Writes a filler file until the filesystem is full; returns the bytes written. */
  fill(): number;
  /** Frees what fill() took. */
  free(): void;
  readOnly(): void;
  readWrite(): void;
  unmount(): void;
}

const sh = (args: string[]) => spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8' });

export function mountSmallFs(sizeMb: number): { fs: SmallFs } | { why: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tw-smallfs-'));
  const r = sh(['mount', '-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { why: `cannot mount a ${sizeMb} MB tmpfs (needs root): ${(r.stderr || r.error?.message || '').trim()}` };
  }
  const filler = join(dir, 'filler.bin');
  const remount = (mode: 'ro' | 'rw') => {
    const m = sh(['mount', '-o', `remount,${mode}`, dir]);
    if (m.status !== 0) throw new Error(`remount ${mode} failed: ${m.stderr}`);
  };
  return {
    fs: {
      dir,
      fill() {
        const fd = openSync(filler, 'a');
        const chunk = Buffer.alloc(64 * 1024, 1);
        let written = 0;
        try {
          for (;;) written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          // The last few bytes: byte by byte would be slow; a 4 KB chunk then 1 byte gets the rest.
          for (const size of [4096, 1]) {
            try {
              for (;;) written += writeSync(fd, chunk.subarray(0, size));
            } catch {
              /* full at this granularity */
            }
          }
        } finally {
          closeSync(fd);
        }
        return written;
      },
      free() {
        unlinkSync(filler);
      },
      readOnly: () => remount('ro'),
      readWrite: () => remount('rw'),
      unmount() {
        sh(['umount', '-l', dir]);
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
}
