package view

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
)

// eventNamesTSV names Sysmon, Security and PowerShell events: one "log<TAB>id<TAB>name" a line.
//
//go:embed eventnames.tsv
var eventNamesTSV string

var (
	eventNamesOnce sync.Once
	eventNames     map[string]string // "log/id" -> name; "/id" -> name when the id is in one log only
)

func loadEventNames() {
	eventNames = map[string]string{}
	byID := map[string][]string{}
	for _, line := range strings.Split(eventNamesTSV, "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		eventNames[f[0]+"/"+f[1]] = f[2]
		byID[f[1]] = append(byID[f[1]], f[2])
	}
	for id, names := range byID {
		if len(names) == 1 {
			eventNames["/"+id] = names[0]
		}
	}
}

// logKey maps a channel (Channel, log_name) to the log key of the names table: "sysmon",
// "security", "powershell", "" for an unknown channel and "*" when there is no channel.
func logKey(channel string) string {
	c := strings.ToLower(strings.TrimSpace(channel))
	switch {
	case c == "":
		return "*"
	case strings.Contains(c, "sysmon"):
		return "sysmon"
	case c == "security":
		return "security"
	case strings.Contains(c, "powershell"):
		return "powershell"
	}
	return ""
}

// EventName returns the short name of Windows event id in channel (Sysmon, Security and
// PowerShell events: "ProcessAccess" for Sysmon 10, "Logon" for Security 4624), or "" when the
// table has no name for it. With an empty channel an id is named only when one log alone uses
// it (4688 is Security's, but 1 could be Sysmon's or another log's: not named). The names are
// data: eventnames.tsv, embedded.
func EventName(channel, id string) string {
	eventNamesOnce.Do(loadEventNames)
	id = strings.TrimSpace(id)
	switch k := logKey(channel); k {
	case "":
		return ""
	case "*":
		if n, err := strconv.Atoi(id); err != nil || n < 100 {
			return "" // low ids are used by many logs (System, Application)
		}
		return eventNames["/"+id]
	default:
		return eventNames[k+"/"+id]
	}
}

// EventLabel is "id Name" when EventName knows the event, else id.
func EventLabel(channel, id string) string {
	if n := EventName(channel, id); n != "" {
		return id + " " + n
	}
	return id
}
