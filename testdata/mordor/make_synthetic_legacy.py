#!/usr/bin/env python3
"""Writes synthetic_legacy_winlogbeat6.tar.gz: SYNTHETIC events in the legacy Mordor layout
(winlogbeat 6: record fields top-level, the event's own fields nested under event_data).

Every value is made up (hosts, users, GUIDs, command lines); nothing is copied from any
dataset. It exercises what the real legacy files have: nested objects (@metadata, beat, host,
user, event_data), a string record_number, a keywords array, event_data keys differing only by
case between events (SourceProcessGUID in Sysmon 10 vs SourceProcessGuid in Sysmon 8), and
hostile strings for the HTML-escaping tests. Deterministic: fixed mtimes, so the bytes (and the
sha256 in README.md) are stable.
"""
import gzip, io, json, tarfile

HOSTS = ["DC01.synthetic.test", "WS01.synthetic.test", "WS02.synthetic.test"]


def base(i, eid, log, src, host):
    return {
        "@timestamp": "2019-03-19T19:%02d:%02d.%03dZ" % (16 + i // 60, i % 60, (i * 37) % 1000),
        "@metadata": {"beat": "winlogbeat", "type": "doc", "version": "6.5.4", "topic": "winlogbeat"},
        "record_number": str(100000 + i),
        "beat": {"name": "WECserver", "hostname": "WECserver", "version": "6.5.4"},
        "host": {"name": "WECserver"},
        "process_id": 1900,
        "thread_id": 2700 + i,
        "event_id": eid,
        "provider_guid": "{00000000-0000-0000-0000-%012d}" % eid,
        "version": 5,
        "computer_name": host,
        "type": "wineventlog",
        "level": "Information",
        "opcode": "Info",
        "user": {"domain": "NT AUTHORITY", "type": "User", "identifier": "S-1-5-18", "name": "SYSTEM"},
        "log_name": log,
        "source_name": src,
    }


def events():
    out = []
    for i in range(30):
        host = HOSTS[i % 3]
        kind = i % 5
        if kind == 0:  # Sysmon 1 process create
            ev = base(i, 1, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", host)
            ev["task"] = "Process Create (rule: ProcessCreate)"
            ev["event_data"] = {
                "UtcTime": ev["@timestamp"][:-1].replace("T", " "),
                "ProcessGuid": "{AAAAAAAA-0000-0000-0000-%012d}" % i,
                "ProcessId": str(4000 + i),
                "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "CommandLine": "powershell -nop -c \"Write-Host synthetic %d\"" % i,
                "ParentImage": "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
                "ParentProcessGuid": "{BBBBBBBB-0000-0000-0000-%012d}" % i,
                "User": "SYNTHETIC\\analyst%d" % (i % 2),
                "LogonId": "0x%x" % (0x3e7 + i),
            }
        elif kind == 1:  # Sysmon 10 process access (Sysmon 10 naming: ...GUID)
            ev = base(i, 10, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", host)
            ev["task"] = "Process accessed (rule: ProcessAccess)"
            ev["event_data"] = {
                "SourceProcessGUID": "{CCCCCCCC-0000-0000-0000-%012d}" % i,
                "TargetProcessGUID": "{DDDDDDDD-0000-0000-0000-%012d}" % i,
                "SourceImage": "C:\\Windows\\System32\\svchost.exe",
                "TargetImage": "C:\\Windows\\system32\\lsass.exe",
                "GrantedAccess": "0x1010",
                "CallTrace": "C:\\Windows\\SYSTEM32\\ntdll.dll+9c584|UNKNOWN(00000000)",
            }
        elif kind == 2:  # Sysmon 8 create remote thread (Sysmon 8 naming: ...Guid)
            ev = base(i, 8, "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", host)
            ev["task"] = "CreateRemoteThread detected (rule: CreateRemoteThread)"
            ev["event_data"] = {
                "SourceProcessGuid": "{EEEEEEEE-0000-0000-0000-%012d}" % i,
                "TargetProcessGuid": "{FFFFFFFF-0000-0000-0000-%012d}" % i,
                "SourceImage": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                "TargetImage": "C:\\Windows\\explorer.exe",
                "StartFunction": "-",
            }
        elif kind == 3:  # Security 4624
            ev = base(i, 4624, "Security", "Microsoft-Windows-Security-Auditing", host)
            ev["task"] = "Logon"
            ev["keywords"] = ["Audit Success"]
            ev["event_data"] = {
                "TargetUserName": "analyst%d" % (i % 2),
                "TargetLogonId": "0x%x" % (0x10000 + i),
                "LogonType": "3",
                "IpAddress": "10.0.0.%d" % (i % 250),
            }
        else:  # PowerShell 4104 with hostile script text
            ev = base(i, 4104, "Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", host)
            ev["task"] = "Execute a Remote Command"
            ev["event_data"] = {
                "ScriptBlockText": "<script>alert(%d)</script><img src=x onerror=alert(1)></table>" % i,
                "MessageNumber": "1",
            }
        ev["message"] = "SYNTHETIC event %d for gohunt tests" % i
        out.append(ev)
    return out


def main():
    data = "".join(json.dumps(ev, separators=(",", ":")) + "\n" for ev in events()).encode()
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("synthetic_legacy_winlogbeat6_2019-03-19000000.json")
        info.size, info.mtime, info.mode = len(data), 1552953600, 0o644
        info.uname = info.gname = "synthetic"
        tar.addfile(info, io.BytesIO(data))
    with open("synthetic_legacy_winlogbeat6.tar.gz", "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(tbuf.getvalue())


if __name__ == "__main__":
    main()
