package hunt

// oracleQueries are EQL queries whose semantics in the `eql` package (PyPI) equal
// Elasticsearch's: no `==` between strings (eql compares those case-insensitively), no head/tail
// on sequences (eql counts sequences in completion order), no indexOf without ~ (eql folds case).
var oracleQueries = []string{
	`any where EventID == 4658`,
	`process where true`,
	`process where EventID == 10 and GrantedAccess : "0x1*"`,
	`process where TargetImage : "*lsass.exe"`,
	`registry where TargetObject : "*\\SAM\\*" | head 5`,
	`registry where EventType in ("SetValue", "CreateKey") | tail 4`,
	`process where EventID > 5 and EventID <= 10 | head 7`,
	`any where not (EventID < 4600) | head 9`,
	`any where EventID in (5156, 5158) and Application like "*svchost*"`,
	`file where stringContains(TargetFilename, "Temp")`,
	`library where endsWith(ImageLoaded, "dll") and not startsWith(ImageLoaded, "C:\\Windows")`,
	`process where length(SourceImage) > 40`,
	`any where EventID == 4103 and ?Payload regex ".*[Ss]ystem.*"`,
	`network where cidrMatch(?DestAddress, "172.18.0.0/16", "10.0.0.0/8")`,
	`network where cidrMatch(?DestinationIp, "172.18.39.0/24")`,
	`registry where between(TargetObject, "HKLM\\", "\\") : "system"`,
	`registry where between(TargetObject, "\\", "\\", true) : "*control*"`,
	`any where substring(Channel, 0, 9) : "microsoft" and EventID == 7`,
	`any where substring(Channel, -11) : "operational" and EventID == 13`,
	`any where indexOf~(?Image, "system32") == 11`, // eql folds case in indexOf without ~, Elasticsearch does not

	`any where indexOf(Channel, "o", 5) == 25 and EventID < 5`,
	`any where concat(Channel, "#", EventID) : "security#4624"`,
	`any where number(?ProcessId) > 3000 and EventID == 10`,
	`any where add(EventID, 10) == 20 or modulo(EventID, 1000) == 156 | head 20`,
	`any where string(EventID) : "46*"`,
	`process where startsWith~(?SourceImage, "c:\\windows\\system32")`,
	`process where endsWith~(?TargetImage, "LSASS.EXE")`,
	`any where stringContains~(?CommandLine, "POWERSHELL")`,
	`sequence [process where true] [registry where true]`,
	`sequence by ProcessGuid [process where EventID == 1] [file where true]`,
	`sequence by Hostname [process where true] [network where true]`,
	`sequence by Hostname with maxspan=1s [process where true] [network where true]`,
	`sequence by Hostname with maxspan=30s [network where true] [registry where true] [library where true]`,
	`sequence by Hostname [network where true] [network where true] until [registry where true]`,
	`sequence [process where EventID == 10] by SourceProcessGUID [registry where true] by ProcessGuid`,
	`sequence by Hostname [authentication where true] [process where true]`,
}

// sparkEQLQueries add, to the oracle's queries, what only Elasticsearch's semantics define (the
// eql package differs there) and what the Spark dialect spells differently: case-sensitive ==
// between strings, head/tail of sequences, integer division, base-16 numbers, composite join keys.
var sparkEQLQueries = []string{
	`any where Channel == "Security" | tail 3`,
	`any where Channel != "security" and EventID == 4658 | head 4`,
	`any where divide(EventID, 1000) == 4 and modulo(EventID, 7) == 0`,
	`any where number("0x1F", 16) == 31 and EventID == 4658 | head 2`,
	`registry where TargetObject regex~ ".*\\sam\\.*" | head 3`,
	`sequence by Hostname [process where true] [registry where true] | head 2`,
	`sequence by Hostname [process where true] [registry where true] | tail 2`,
	`sequence by Hostname, Channel with maxspan=5s [any where EventID == 4656] [any where EventID == 4658]`,
}
