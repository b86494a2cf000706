#!/usr/bin/env bash
# One command to deploy: dependency layer, stack, UI upload. Needs AWS credentials, npm and the
# AWS CLI; extra arguments go to `cdk deploy` (e.g. -c alarmEmail=oncall@example.com).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK="${STACK:-SparkLineage}"
CDK="${CDK:-npx --yes aws-cdk@2}"
UI_DIR="${UI_DIR:-ui}"

command -v aws >/dev/null || { echo "deploy: the AWS CLI (aws) is required" >&2; exit 1; }
make package
(cd infra && $CDK deploy "$STACK" --require-approval broadening \
    -c requirePackagedDependencies=true --outputs-file cdk.out/outputs.json "$@")

output() { python3 -c "import json,sys; print(json.load(open('infra/cdk.out/outputs.json'))['$STACK']['$1'])"; }
bucket="$(output UiBucket)"
distribution="$(output DistributionId)"

if [ -f "$UI_DIR/index.html" ]; then
  # The UI reads its sign-in settings from /config.json (same origin as the /api it calls).
  python3 - "$UI_DIR" <<PY
import json, sys
outputs = json.load(open("infra/cdk.out/outputs.json"))["$STACK"]
config = {
    "apiBase": "/api",
    "tokenUrl": outputs["TokenUrl"],
    "authorizeUrl": outputs["TokenUrl"].replace("/oauth2/token", "/oauth2/authorize"),
    "clientId": outputs["UiClientId"],
    "scope": "openid email lineage/graph.read",
    "redirectUri": outputs["UiUrl"],
}
json.dump(config, open("infra/cdk.out/ui-config.json", "w"), indent=2)
PY
  aws s3 sync "$UI_DIR" "s3://$bucket/" --delete --exclude "node_modules/*" \
      --include "node_modules/vis-network/standalone/*" --exclude "package*.json"
  aws s3 cp infra/cdk.out/ui-config.json "s3://$bucket/config.json" --cache-control no-cache
  aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" >/dev/null
else
  echo "deploy: $UI_DIR/index.html not found; UI not uploaded" >&2
fi
echo "deploy: producer URL $(output ProducerUrl)"
echo "deploy: UI         $(output UiUrl)"
