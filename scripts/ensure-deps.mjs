// Installs the npm packages when node_modules is missing or older than package-lock.json,
// so `npm start` and `npm test` work on a fresh clone with no other step.
// With --browser it also makes sure Chromium is there for the dashboard e2e tests (below), and
// with --ml Debian's python3-xgboost and python3-onnx, the reference the model tests compare to.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  console.log('[setup] installing npm packages (npm ci)...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// The dashboard's end-to-end tests drive Debian's Chromium (playwright-core, never a downloaded
// browser). With --browser (npm test) a missing /usr/bin/chromium is installed with apt-get when
// this runs as root on a machine that has it; under CI=true failing to get it stops the run.
if (process.argv.includes('--browser') && !existsSync(CHROMIUM)) {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (root_ && apt) {
    console.log('[setup] installing chromium for the dashboard e2e tests (apt-get install chromium, about 30 s)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Quiet: apt's and dpkg's output is shown only when something fails.
    const quiet = { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };
    const update = spawnSync('apt-get', ['update', '-qq'], quiet);
    const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], quiet) : update;
    if (install.status !== 0 || !existsSync(CHROMIUM)) {
      console.error(`${install.stdout ?? ''}${install.stderr ?? ''}`.split('\n').slice(-30).join('\n'));
      console.error(`[setup] could not install chromium (apt-get exited ${install.status})`);
      if (ci) process.exit(1);
    }
  } else {
    const why = root_ ? 'apt-get is not available' : 'not running as root';
    if (ci) {
      console.error(`[setup] ${CHROMIUM} is missing and cannot be installed (${why}); the e2e tests need it under CI=true`);
      process.exit(1);
    }
    console.log(`[setup] ${CHROMIUM} is missing (${why}): the dashboard e2e tests will be skipped; install it with: sudo apt-get install -y chromium`);
  }
}

// The machine-learning tests and benchmarks compare Tradewind's tree inference and trainer with
// Debian's python3-xgboost, and build ONNX files with python3-onnx, both run by Debian's own
// /usr/bin/python3 (TRADEWIND_PYTHON overrides it). With --ml they are installed with apt-get
// when this runs as root; under CI=true failing to get them stops the run; elsewhere the tests
// that need them are skipped with a message.
if (process.argv.includes('--ml')) {
  const python = process.env.TRADEWIND_PYTHON || '/usr/bin/python3';
  const has = () => existsSync(python) && spawnSync(python, ['-c', 'import xgboost, onnx'], { stdio: 'ignore' }).status === 0;
  if (!has()) {
    const ci = process.env.CI === 'true' || process.env.CI === '1';
    const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
    const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
    const packages = ['python3-xgboost', 'python3-onnx'];
    if (root_ && apt) {
      console.log(`[setup] installing ${packages.join(' and ')} for the model tests (apt-get, about a minute)...`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const quiet = { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };
      let install = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], quiet);
      if (install.status !== 0) {
        const update = spawnSync('apt-get', ['update', '-qq'], quiet);
        install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], quiet) : update;
      }
      if (install.status !== 0 || !has()) {
        console.error(`${install.stdout ?? ''}${install.stderr ?? ''}`.split('\n').slice(-30).join('\n'));
        console.error(`[setup] could not install ${packages.join(' ')} (apt-get exited ${install.status})`);
        if (ci) process.exit(1);
      }
    } else {
      const why = root_ ? 'apt-get is not available' : 'not running as root';
      if (ci) {
        console.error(`[setup] ${packages.join(' and ')} are missing and cannot be installed (${why}); the model tests need them under CI=true`);
        process.exit(1);
      }
      console.log(`[setup] ${packages.join(' and ')} are missing (${why}): the tests comparing with XGBoost and ONNX will be skipped; install them with: sudo apt-get install -y ${packages.join(' ')}`);
    }
  }
}

// The metrics tests run Debian's `promtool check metrics` (package prometheus) on every /metrics
// endpoint. With --promtool it is installed with apt-get when this runs as root; under CI=true
// failing to get it stops the run; elsewhere those tests are skipped with a message.
if (process.argv.includes('--promtool') && spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status !== 0) {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (root_ && apt) {
    console.log('[setup] installing promtool for the metrics tests (apt-get install prometheus)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const quiet = { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };
    const args = ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'];
    let install = spawnSync('apt-get', args, quiet);
    if (install.status !== 0) {
      const update = spawnSync('apt-get', ['update', '-qq'], quiet);
      install = update.status === 0 ? spawnSync('apt-get', args, quiet) : update;
    }
    if (install.status !== 0 || spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status !== 0) {
      console.error(`${install.stdout ?? ''}${install.stderr ?? ''}`.split('\n').slice(-30).join('\n'));
      console.error(`[setup] could not install prometheus (promtool) (apt-get exited ${install.status})`);
      if (ci) process.exit(1);
    }
  } else {
    const why = root_ ? 'apt-get is not available' : 'not running as root';
    if (ci) {
      console.error(`[setup] promtool is missing and cannot be installed (${why}); the metrics tests need it under CI=true`);
      process.exit(1);
    }
    console.log(`[setup] promtool is missing (${why}): the metrics tests will be skipped; install it with: sudo apt-get install -y prometheus`);
  }
}

// The benchmarks time whole processes with Debian's hyperfine and load the HTTP API with wrk
// (a C load generator, so the generator is not the bottleneck). With --bench they are installed
// with apt-get when this runs as root; otherwise the benchmarks that need them say so and skip.
if (process.argv.includes('--bench')) {
  const missing = ['hyperfine', 'wrk'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
  const root_ = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (missing.length > 0 && root_ && apt) {
    console.log(`[setup] installing ${missing.join(' and ')} for the benchmarks (apt-get)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const quiet = { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };
    const args = ['install', '-y', '-qq', '--no-install-recommends', ...missing];
    let install = spawnSync('apt-get', args, quiet);
    if (install.status !== 0) {
      const update = spawnSync('apt-get', ['update', '-qq'], quiet);
      install = update.status === 0 ? spawnSync('apt-get', args, quiet) : update;
    }
    if (install.status !== 0) console.error(`${install.stdout ?? ''}${install.stderr ?? ''}`.split('\n').slice(-30).join('\n'));
  } else if (missing.length > 0) {
    console.log(`[setup] ${missing.join(' and ')} missing (${root_ ? 'apt-get is not available' : 'not running as root'}): install with sudo apt-get install -y ${missing.join(' ')}`);
  }
}
