#!/usr/bin/env bash
# Installs everything wakame-ts needs on Debian 12: the Debian packages in
# scripts/debian-packages.txt, the npm dependencies, and the build (dist/).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || (( $(node -p 'process.versions.node.split(".")[0]') < 20 )); then
  echo "setup: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none)); Debian 12's own nodejs is 18: install Node.js 20 first" >&2
  exit 1
fi

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
mapfile -t packages < <(grep -v '^\s*\(#\|$\)' scripts/debian-packages.txt)
echo "setup: installing Debian packages: ${packages[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# User-mode guests' network stack (passt) runs as this user, whose connections
# to this host the host agent's nftables wall refuses (docs/networking.md).
if ! getent passwd wakame-vdc-guest >/dev/null; then
  echo "setup: adding the system user wakame-vdc-guest, for the guests' network stacks"
  "${sudo[@]}" useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin wakame-vdc-guest
fi

# PowerShell 7 runs the Windows guest scripts in the test suite; it comes from
# NuGet as a .NET tool, into a project-local folder. Where dotnet exists, a
# failed install fails the set-up, so no suite is skipped silently.
pwsh_version=7.6.9
if command -v dotnet >/dev/null; then
  if [[ "$(.tools/pwsh/pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)" != "$pwsh_version" ]]; then
    echo "setup: installing PowerShell $pwsh_version into .tools/pwsh (dotnet tool install)"
    rm -rf .tools/pwsh
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet tool install PowerShell --version "$pwsh_version" --tool-path .tools/pwsh >/dev/null
  fi
else
  echo "setup: no dotnet here, so no PowerShell: the guest-script suite will be skipped (install the .NET SDK, then run this again)"
fi

echo "setup: installing npm dependencies and building"
# `npm install`, not `npm ci`: the lock cannot list the linter's binaries for
# other platforms (the registry here lacks them) and `npm ci` refuses such a lock.
npm install --no-fund --no-audit
echo "setup: putting vdc-manage, dcmgr, hva, mussel, wakame, build-dir-utils, needle and auto-windows-image-build on the PATH (npm link)"
"${sudo[@]}" npm link --no-fund --no-audit --ignore-scripts
echo "setup: done"
