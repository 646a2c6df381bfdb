#!/usr/bin/env bash
# render-report.sh REPORT.html [SCREENSHOT.png]
#
# Opens a bench report in headless Chromium, fails when the page logs any
# console message, raises a script error or fails to load or decode an
# image, and takes a full-page screenshot (default: REPORT.png).
#
# Exit codes: 0 the page rendered cleanly; 1 it did not; 2 bad usage;
# 3 no Chromium on this machine (install: apt-get install -y chromium).
#
# How: Chromium's --dump-dom mode loads an instrumented copy of the report
# whose first script records errors (window errors in the capture phase,
# which includes images that fail to load) and, on load, checks that every
# image decoded; the verdict is written into the DOM, which Chromium dumps.
# Console messages of the page itself are caught from Chromium's log. The
# screenshot is taken of the report as it is, not of the copy.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 REPORT.html [SCREENSHOT.png]" >&2
  exit 2
fi
report=$1
shot=${2:-${report%.html}.png}
if [ ! -f "$report" ]; then
  echo "$0: $report: no such file" >&2
  exit 2
fi

chrome=""
for c in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$c" >/dev/null 2>&1; then chrome=$c; break; fi
done
if [ -z "$chrome" ]; then
  echo "$0: no Chromium found (apt-get install -y chromium)" >&2
  exit 3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Flags for a headless, offline, reproducible render (as root: no sandbox).
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars --force-device-scale-factor=1 --virtual-time-budget=10000)

# The instrumented copy sits next to nothing: the report must need no other file.
probe='<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target;
    errors.push(t && t.tagName ? "failed to load " + t.tagName.toLowerCase() + " " + String(t.src || t.href).slice(0, 60) : "script error: " + e.message);
  }, true);
  ["error", "warn"].forEach(function (level) {
    var orig = console[level];
    console[level] = function () { errors.push("console." + level + ": " + Array.prototype.join.call(arguments, " ")); orig.apply(console, arguments); };
  });
  window.addEventListener("load", function () {
    var imgs = document.images, ok = 0;
    for (var i = 0; i < imgs.length; i++) {
      if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } else { errors.push("image " + (imgs[i].alt || i) + " did not decode"); }
    }
    var out = document.createElement("pre");
    out.id = "txbench-render-check";
    out.textContent = "TXBENCH-RENDER images=" + imgs.length + " decoded=" + ok + " height=" +
      document.documentElement.scrollHeight + " errors=" + errors.length + (errors.length ? ": " + errors.join(" | ") : "");
    document.body.appendChild(out);
  });
})();
</script>'
printf '%s\n' "$probe" >"$work/probe.js.html"
# Before anything loads: right after the first <head>, else after <body>,
# else at the top.
awk -v probe="$work/probe.js.html" '
  function inject(line, tag,   i) {
    i = index(line, tag)
    printf "%s\n", substr(line, 1, i + length(tag) - 1)
    while ((getline p < probe) > 0) print p
    print substr(line, i + length(tag))
    done = 1
  }
  { lines[NR] = $0 }
  END {
    for (n = 1; n <= NR; n++) if (index(lines[n], "<head>")) { at = n; break }
    tag = "<head>"
    if (!at) { for (n = 1; n <= NR; n++) if (index(lines[n], "<body>")) { at = n; break } ; tag = "<body>" }
    if (!at) { while ((getline p < probe) > 0) print p }
    for (n = 1; n <= NR; n++) { if (n == at && !done) inject(lines[n], tag); else print lines[n] }
  }' "$report" >"$work/probe.html"

"$chrome" "${flags[@]}" --user-data-dir="$work/profile1" --enable-logging=stderr --v=0 \
  --dump-dom "file://$work/probe.html" >"$work/dom.html" 2>"$work/chrome.log" || true
line=$(grep -o 'TXBENCH-RENDER images=[0-9][^<]*' "$work/dom.html" || true)
if [ -z "$line" ]; then
  echo "$0: $report: the page did not finish loading in Chromium" >&2
  tail -n 5 "$work/chrome.log" >&2
  exit 1
fi
echo "$line"
# Console messages other than the probe's own: the report has no script, so
# any is a problem (e.g. a blocked resource).
console=$(grep 'CONSOLE' "$work/chrome.log" | grep -v 'TXBENCH-RENDER' || true)

height=$(sed -n 's/.*height=\([0-9]*\).*/\1/p' <<<"$line")
height=$(( height > 16000 ? 16000 : height ))
"$chrome" "${flags[@]}" --user-data-dir="$work/profile2" --window-size="1280,${height:-2000}" \
  --screenshot="$shot" "file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")" >/dev/null 2>"$work/shot.log" || true
if [ ! -s "$shot" ]; then
  echo "$0: $report: no screenshot was written" >&2
  tail -n 5 "$work/shot.log" >&2
  exit 1
fi
echo "screenshot: $shot (1280x${height})"

if [[ "$line" != *"errors=0"* ]] || [ -n "$console" ]; then
  [ -n "$console" ] && echo "console: $console"
  echo "$0: $report: the page did not render cleanly" >&2
  exit 1
fi
