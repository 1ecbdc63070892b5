#!/usr/bin/env bash
# Make a Backstage app (from `npx @backstage/create-app`) buildable into the stagelift portal image.
#
#   portal/prepare.sh <app-dir>
#
# Copies into <app-dir>: Dockerfile, .dockerignore and app-config.production.yaml from this
# folder. A file there that differs and was not written by this script is kept once as
# <name>.create-app (create-app's .dockerignore is for a host build and would leave the package
# sources out of the build context). Run it again after updating stagelift: `cdk deploy` refuses
# an app whose copies differ from portal/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
files=(Dockerfile .dockerignore app-config.production.yaml)

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <backstage-app-dir>" >&2
  exit 2
fi
app="$1"

for required in package.json yarn.lock backstage.json packages/backend/package.json app-config.yaml; do
  if [[ ! -f "$app/$required" ]]; then
    echo "$app is not a Backstage app made by @backstage/create-app: $required is missing" >&2
    exit 1
  fi
done
if [[ ! -f "$app/.yarnrc.yml" ]]; then
  echo "$app has no .yarnrc.yml: the image builds Yarn 4 apps, as create-app makes them today; run 'yarn set version stable' in the app first" >&2
  exit 1
fi
for file in "${files[@]}"; do
  if [[ ! -f "$here/$file" ]]; then
    echo "stagelift's portal/$file is missing: update your stagelift checkout" >&2
    exit 1
  fi
done

for file in "${files[@]}"; do
  target="$app/$file"
  if [[ -f "$target" ]] && ! cmp -s "$here/$file" "$target"; then
    if [[ ! -f "$target.create-app" ]]; then
      cp -p "$target" "$target.create-app"
      echo "kept the app's own $file as $file.create-app"
    fi
  fi
  cp "$here/$file" "$target"
  echo "copied portal/$file -> $target"
done

echo "ready: docker build -t backstage-portal '$app'   or   cdk deploy -c portalAppPath='$app'"
