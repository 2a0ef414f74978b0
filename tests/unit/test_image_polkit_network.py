"""image/files/50-borne-networkmanager.rules: user borne may add, change and activate
NetworkManager's connections, nothing more, and the image installs and checks the file.

The rule is JavaScript (polkit >= 0.106); it is run here under node with a stand-in of
polkit's objects when node is on the machine, and read as text always.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULE = REPO / "image" / "files" / "50-borne-networkmanager.rules"
GRANTED = {"org.freedesktop.NetworkManager.settings.modify.system",
           "org.freedesktop.NetworkManager.network-control"}
OTHERS = ["org.freedesktop.NetworkManager.enable-disable-network",
          "org.freedesktop.NetworkManager.wifi.share.open",
          "org.freedesktop.NetworkManager.settings.modify.hostname",
          "org.freedesktop.NetworkManager.reload", "org.freedesktop.login1.reboot",
          "org.freedesktop.systemd1.manage-units"]

_HARNESS = """
const rules = [];
const polkit = {Result: {YES: "yes", NO: "no", AUTH_ADMIN: "auth_admin"},
                addRule: (rule) => rules.push(rule), log: () => {}};
eval(require("fs").readFileSync(process.argv[2], "utf8"));
const asked = JSON.parse(process.argv[3]);
const answers = asked.map(([user, groups, id]) => {
  const subject = {user: user, isInGroup: (g) => groups.includes(g), local: false,
                   active: false};
  for (const rule of rules) {
    const answer = rule({id: id, lookup: () => undefined}, subject);
    if (answer !== undefined) return answer;
  }
  return null;
});
console.log(JSON.stringify(answers));
"""


def test_the_rule_names_only_the_two_actions_and_user_borne() -> None:
    text = RULE.read_text()
    assert set(re.findall(r'"(org\.freedesktop\.[^"]+)"', text)) == GRANTED
    assert 'subject.user == "borne"' in text and "polkit.Result.YES" in text
    assert "AUTH" not in text and "isInGroup" not in text  # no one else, no prompt


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run the rule")
def test_run_by_polkit_the_rule_grants_borne_those_actions_only(tmp_path: Path) -> None:
    harness = tmp_path / "harness.js"
    harness.write_text(_HARNESS)
    asked = ([["borne", ["borne"], action] for action in sorted(GRANTED)]
             + [["borne", ["borne"], action] for action in OTHERS]
             + [[user, ["borne", "netdev"], action] for user in ("pi", "nobody", "root")
                for action in sorted(GRANTED)])
    run = subprocess.run(["node", str(harness), str(RULE), json.dumps(asked)],
                         capture_output=True, text=True, timeout=30, check=True)
    answers = json.loads(run.stdout)
    assert answers[:len(GRANTED)] == ["yes"] * len(GRANTED)
    assert answers[len(GRANTED):] == [None] * (len(answers) - len(GRANTED))  # polkit decides


def test_the_image_installs_the_rule_and_checks_it() -> None:
    stage = (REPO / "image" / "install-stage.sh").read_text()
    assert ('install -m 644 "$HERE/files/50-borne-networkmanager.rules" '
            '"$ROOTFS/etc/polkit-1/rules.d/50-borne-networkmanager.rules"') in stage
    check = (REPO / "image" / "check-chroot.sh").read_text()
    assert ('cmp "$HERE/files/50-borne-networkmanager.rules" '
            '"$ROOT/etc/polkit-1/rules.d/50-borne-networkmanager.rules"') in check
