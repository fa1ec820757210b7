#!/usr/bin/python3
# Benchmark (not a test; `scripts/bench.sh --tray` runs it): what WebKitGTK itself costs, with none
# of our code. A bare GTK window with one WebKit2 4.1 web view (the engine Tauri's window uses on
# Linux, with the same DMABUF-renderer setting our window process makes) loads a page; five seconds
# after the load the PSS of its three processes (the UI process, WebKitWebProcess,
# WebKitNetworkProcess) is read from /proc/<pid>/smaps_rollup, with the largest mappings of each.
# Pages: about:blank, and our ui/index.html from disk (no app behind it, so it shows its first view).
# Writes target/bench/webkit-floor.json. Needs a display, a D-Bus session and python3-gi.
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = {'about:blank': 'about:blank', 'our page (ui/index.html)': 'file://' + os.path.join(ROOT, 'ui', 'index.html')}
# Variants: the defaults, and hardware acceleration off (the most a setting lowers, measured).
VARIANTS = {'defaults': [], 'hardware acceleration never': ['nohw']}


def child(url, opts):
    """Runs in a fresh interpreter: one window, one web view, then prints a JSON report."""
    import gi
    gi.require_version('Gtk', '3.0')
    gi.require_version('WebKit2', '4.1')
    from gi.repository import GLib, Gtk, WebKit2

    win = Gtk.Window()
    win.set_default_size(900, 700)
    view = WebKit2.WebView()
    if 'nohw' in opts:
        view.get_settings().set_hardware_acceleration_policy(WebKit2.HardwareAccelerationPolicy.NEVER)
    win.add(view)
    win.show_all()
    out = {}

    def report():
        out.update(measure(os.getpid()))
        out['webkit'] = f'{WebKit2.get_major_version()}.{WebKit2.get_minor_version()}.{WebKit2.get_micro_version()}'
        Gtk.main_quit()
        return False

    def changed(_view, event):
        if event == WebKit2.LoadEvent.FINISHED:
            GLib.timeout_add(5000, report)

    view.connect('load-changed', changed)
    view.load_uri(url)
    Gtk.main()
    print(json.dumps(out), flush=True)


def measure(root):
    """PSS (MiB) of `root` and its descendants, named as WebKit names them, and each one's five
    largest mappings."""
    parents = {}
    names = {}
    for p in filter(str.isdigit, os.listdir('/proc')):
        try:
            stat = open(f'/proc/{p}/stat').read()
        except OSError:
            continue
        close = stat.rindex(')')
        parents[int(p)] = int(stat[close + 2:].split()[1])
        names[int(p)] = stat[stat.index('(') + 1:close]
    tree = [root]
    for pid in tree:
        tree += [c for c, pp in parents.items() if pp == pid]
    procs = {}
    for pid in tree:
        name = 'UI process (GTK + WebKit, no app)' if pid == root else names[pid]
        by_file = {}
        current = '[anon]'
        try:
            for line in open(f'/proc/{pid}/smaps'):
                fields = line.split()
                if not fields[0].endswith(':'):
                    current = os.path.basename(fields[5]) if len(fields) > 5 else '[anon]'
                elif fields[0] == 'Pss:':
                    by_file[current] = by_file.get(current, 0) + int(fields[1])
        except OSError:
            continue
        top = sorted(by_file.items(), key=lambda kv: -kv[1])[:5]
        procs[name] = {
            'pss_mib': round(sum(by_file.values()) / 1024, 1),
            'largest': {k: round(v / 1024, 1) for k, v in top},
        }
    return {'pss_mib': round(sum(p['pss_mib'] for p in procs.values()), 1), 'processes': procs}


def main():
    if len(sys.argv) > 2 and sys.argv[1] == '--child':
        child(sys.argv[2], sys.argv[3:])
        return
    env = {**os.environ, 'WEBKIT_DISABLE_DMABUF_RENDERER': '1'}
    results = {}
    for page, url in PAGES.items():
        for variant, opts in VARIANTS.items():
            run = subprocess.run([sys.executable, __file__, '--child', url, *opts], env=env, capture_output=True, text=True, timeout=120)
            lines = [l for l in run.stdout.splitlines() if l.startswith('{')]
            if run.returncode != 0 or not lines:
                sys.exit(f'{page} ({variant}): the probe failed: {run.stderr[-2000:]}')
            r = json.loads(lines[-1])
            results.setdefault(page, {})[variant] = r
            parts = ', '.join(f"{k} {v['pss_mib']}" for k, v in r['processes'].items())
            print(f"{page:28} {variant:28} {r['pss_mib']:6.1f} MiB PSS ({parts})")
    target = os.environ.get('CARGO_TARGET_DIR') or os.path.join(ROOT, 'target')
    os.makedirs(os.path.join(target, 'bench'), exist_ok=True)
    with open(os.path.join(target, 'bench', 'webkit-floor.json'), 'w') as f:
        json.dump(results, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
