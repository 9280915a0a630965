package hunt

import "testing"

// BenchmarkLineScanner scans a Sysmon process-creation event as Elasticsearch returns it.
func BenchmarkLineScanner(b *testing.B) {
	line := []byte(`{"@timestamp":"2020-09-21T00:00:01.037Z","EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","Hostname":"WORKSTATION5.theshire.local","RecordNumber":3215165,"UtcTime":"2020-09-20 23:59:59.537","ProcessGuid":"{d273d0f0-0005-5f68-0000-000000000005}","ProcessId":"1005","Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","CommandLine":"\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -noP -sta -w 1 -enc SQBGACgAJABQAFMAVgBlAHIAc00000005","ParentImage":"C:\\Windows\\System32\\svchost.exe","ParentProcessGuid":"{d273d0f0-0000-5f68-ae08-000000000000}","User":"THESHIRE\\user5","LogonId":"0x32c5cba","IntegrityLevel":"Medium","Hashes":"SHA1=0000000000000000000000000000000000000005,MD5=00000000000000000000000000000023","Keywords":-9223372036854775808,"tags":["mordorDataset"]}`)
	s := newLineScanner()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := s.scan(line); err != nil {
			b.Fatal(err)
		}
	}
}
