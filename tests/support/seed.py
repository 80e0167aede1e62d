#!/usr/bin/env python3
"""Prints an admin token for a running Pingyi, after giving it a little of everything
(a unit, a campaign in its survey phase, a published questionnaire, a link, a response) so
that generated requests meet real resources. Usage: seed.py BINARY BASE_URL"""

import json
import os
import subprocess
import sys
import urllib.request
import uuid

binary, base = sys.argv[1], sys.argv[2]
PASSWORD = "schema-fuzzing-password"


def call(method, path, token=None, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


subprocess.run([binary, "create-admin", "fuzzer"], env={**os.environ, "PINGYI_ADMIN_PASSWORD": PASSWORD},
               check=True, capture_output=True)
token = call("POST", "/api/v1/auth/token", body={"grant_type": "password", "username": "fuzzer", "password": PASSWORD})["access_token"]
unit = call("POST", "/api/v1/units", token, {"code": "fuzz", "name": "单位", "category": "government", "kind": "department"})["id"]
campaign = call("POST", "/api/v1/campaigns", token, {"year": 2026, "title": "fuzz"})["id"]
call("POST", f"/api/v1/campaigns/{campaign}/phase", token, {"phase": "survey"})
questionnaire = call("POST", f"/api/v1/campaigns/{campaign}/questionnaires", token, {"category": "government"})["id"]
call("POST", f"/api/v1/questionnaires/{questionnaire}/publish", token, {})
link = call("POST", f"/api/v1/questionnaires/{questionnaire}/links", token, {"unit_id": unit, "channel": "web"})
answers = {q: "satisfied" for q in ["lawful_duty", "fair_enforcement", "government_openness", "efficiency", "work_style", "integrity", "overall"]}
call("POST", f"/api/v1/public/surveys/{link['slug']}/responses", body={"submission_id": str(uuid.uuid4()), "answers": answers})
print(token)
