package view

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ProcessEvent is one process creation as the logs record it: Sysmon
// EventID 1 (ProcessGuid, ParentProcessGuid, decimal ProcessId) or Security
// EventID 4688 (hex NewProcessId and ProcessId of the creator).
type ProcessEvent struct {
	// GUID and ParentGUID are Sysmon's ProcessGuid and ParentProcessGuid
	// (empty for 4688).
	GUID, ParentGUID string
	// Host is the machine that logged the event (Hostname / computer_name).
	Host string
	// Time is when the process was created (UTC).
	Time time.Time
	// PID and ParentPID are the process ids, -1 when unknown (ParsePID reads
	// both "6504" and "0x1968").
	PID, ParentPID int64
	// Image and CommandLine describe the process; ParentImage and
	// ParentCommandLine its parent as the child's event saw it (used for
	// parents that have no creation event of their own).
	Image, CommandLine, ParentImage, ParentCommandLine string
	// User is the account the process runs as.
	User string
	// Source says where the event came from, e.g. "sysmon 1" or "security 4688".
	Source string
}

// Process is a node of a ProcessTree.
type Process struct {
	ProcessEvent
	// Parent is nil for a root; Children are in time order.
	Parent   *Process
	Children []*Process
	// Seen is false for a parent the tree made up from its children's
	// ParentImage/ParentProcessGuid because its own creation is not in the
	// data (it started before the recording, or was filtered out).
	Seen bool
	// Sources lists the events merged into this node (a Sysmon 1 and a
	// Security 4688 of the same process creation become one node).
	Sources []string
	// Highlighted is set by ProcessTree.Highlight.
	Highlighted bool
}

// Name returns the file name of the process image, e.g. "powershell.exe".
func (p *Process) Name() string { return baseName(p.Image) }

// ParentName returns the file name of the parent's image: the parent
// node's if there is one, else what the event recorded.
func (p *Process) ParentName() string {
	if p.Parent != nil {
		return p.Parent.Name()
	}
	return baseName(p.ParentImage)
}

// ProcessTree shows which process started which: one tree per root,
// children indented under their parent, in time order, as collapsible
// HTML (details/summary). Build one with NewProcessTree.
type ProcessTree struct {
	// Roots are the processes without a known parent, by host then time.
	Roots []*Process
	// Events is the number of creation events the tree was built from;
	// Merged counts those folded into another event of the same process.
	Events, Merged int
	// Unparented counts made-up roots for parents not seen.
	Unparented int
	// MaxNodes limits how many processes HTML and String show (0 = 2000).
	MaxNodes int
	// Note is added to the caption.
	Note string
	// Error, when set, is why the tree could not be built.
	Error error
	hosts []string
	nodes []*Process
	first time.Time
	last  time.Time
	marks int
	label string
}

// ParsePID reads a process id written in decimal ("6504", Sysmon) or hex
// ("0x1968", Security); ok is false for anything else.
func ParsePID(s string) (pid int64, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1, false
	}
	var err error
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		pid, err = strconv.ParseInt(s[2:], 16, 64)
	} else {
		pid, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil || pid < 0 {
		return -1, false
	}
	return pid, true
}

// hostKey normalises a host name for matching: lower case, short name
// (some events of a host carry "WORKSTATION6", others the FQDN).
func hostKey(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

type hostPID struct {
	host string
	pid  int64
}

// parentSkew is how much later than its child a parent found by PID may
// appear to start (events of one creation logged with slightly different
// clocks).
const parentSkew = 2 * time.Second

// NewProcessTree links process creation events into a tree.
//
// A child's parent is, in order: the process whose GUID is the child's
// ParentGUID; else the latest process on the same host with the child's
// ParentPID created no later than the child (ids are reused, so the latest
// earlier one is the live one); else a made-up root standing for the unseen
// parent, shared by all its children, described from their ParentImage and
// ParentCommandLine. A Sysmon and a Security event for the same creation
// (same host and PID, at most 2s apart) become one node. Events repeated with
// the same GUID are kept once.
func NewProcessTree(events []ProcessEvent) *ProcessTree {
	t := &ProcessTree{Events: len(events)}
	evs := append([]ProcessEvent(nil), events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })

	byGUID := map[string]*Process{}
	byPID := map[hostPID][]*Process{}
	byImage := map[hostImage][]*Process{} // by host, image file name and parent PID; in time order
	hosts := map[string]string{}
	for _, e := range evs {
		if e.GUID != "" {
			if n := byGUID[strings.ToLower(e.GUID)]; n != nil {
				t.Merged++
				n.Sources = append(n.Sources, e.Source)
				continue
			}
		}
		hk := hostKey(e.Host)
		if n := t.sameProcess(byPID, byImage, hk, e); n != nil {
			t.Merged++
			hadPID := n.PID >= 0
			mergeEvent(n, e)
			if e.GUID != "" {
				byGUID[strings.ToLower(e.GUID)] = n
			}
			if !hadPID && n.PID >= 0 {
				k := hostPID{hk, n.PID}
				byPID[k] = append(byPID[k], n)
			}
			continue
		}
		n := &Process{ProcessEvent: e, Seen: true, Sources: []string{e.Source}}
		t.nodes = append(t.nodes, n)
		if k := (hostImage{hk, strings.ToLower(baseName(e.Image)), e.ParentPID}); k.image != "" && k.ppid >= 0 {
			byImage[k] = append(byImage[k], n)
		}
		if e.GUID != "" {
			byGUID[strings.ToLower(e.GUID)] = n
		}
		if e.PID >= 0 {
			k := hostPID{hk, e.PID}
			byPID[k] = append(byPID[k], n)
		}
		if _, ok := hosts[hk]; !ok && e.Host != "" {
			hosts[hk] = e.Host
		}
	}

	unseen := map[string]*Process{}
	for _, n := range append([]*Process(nil), t.nodes...) {
		p := findParent(n, byGUID, byPID)
		selfParent := n.ParentGUID != "" && strings.EqualFold(n.ParentGUID, n.GUID)
		if p == nil && !selfParent && (n.ParentGUID != "" || n.ParentPID >= 0 || n.ParentImage != "") {
			// One made-up parent per unseen process: children name it by GUID (Sysmon) or by
			// host, PID and image (Security), and either may come first.
			var keys []string
			if n.ParentGUID != "" {
				keys = append(keys, "g:"+strings.ToLower(n.ParentGUID))
			}
			if n.ParentPID >= 0 || n.ParentGUID == "" {
				keys = append(keys, fmt.Sprintf("p:%s|%d|%s", hostKey(n.Host), n.ParentPID, strings.ToLower(baseName(n.ParentImage))))
			}
			for _, k := range keys {
				if p = unseen[k]; p != nil {
					break
				}
			}
			if p == nil {
				p = &Process{ProcessEvent: ProcessEvent{
					GUID: n.ParentGUID, Host: n.Host, Time: n.Time, PID: n.ParentPID, ParentPID: -1,
					Image: n.ParentImage, CommandLine: n.ParentCommandLine,
				}}
				t.nodes = append(t.nodes, p)
				t.Unparented++
			}
			for _, k := range keys {
				if unseen[k] == nil {
					unseen[k] = p
				}
			}
			if p.GUID == "" {
				p.GUID = n.ParentGUID
			}
			if p.CommandLine == "" {
				p.CommandLine = n.ParentCommandLine
			}
		}
		if p != nil {
			n.Parent = p
			p.Children = append(p.Children, n)
		}
	}
	t.breakCycles()
	for _, n := range t.nodes {
		if n.Parent == nil {
			t.Roots = append(t.Roots, n)
		}
		sort.SliceStable(n.Children, func(i, j int) bool { return n.Children[i].Time.Before(n.Children[j].Time) })
		if n.Seen {
			if t.first.IsZero() || n.Time.Before(t.first) {
				t.first = n.Time
			}
			if n.Time.After(t.last) {
				t.last = n.Time
			}
		}
	}
	sort.SliceStable(t.Roots, func(i, j int) bool {
		a, b := hostKey(t.Roots[i].Host), hostKey(t.Roots[j].Host)
		if a != b {
			return a < b
		}
		return t.Roots[i].Time.Before(t.Roots[j].Time)
	})
	for _, h := range hosts {
		t.hosts = append(t.hosts, h)
	}
	sort.Strings(t.hosts)
	return t
}

// sameProcess finds an already-added node that records the same creation
// as e from the other log (Sysmon vs Security). Both logs name the process
// by PID, but Sysmon 1 lacks ProcessId in some recordings, and the Security
// event's time may be the collector's (up to a minute late). So a node
// matches when it is on the same host, from the other source, within
// mergeWindow, and either both PIDs are known and equal (and the images, if
// both known, agree), or one PID is unknown and the image file name, the
// parent PID and the command line (when both have one) agree. The nearest
// in time wins.
func (t *ProcessTree) sameProcess(byPID map[hostPID][]*Process, byImage map[hostImage][]*Process, hk string, e ProcessEvent) *Process {
	var best *Process
	var bestD time.Duration
	consider := func(n *Process) {
		d := e.Time.Sub(n.Time)
		if d < 0 {
			d = -d
		}
		if d > mergeWindow || sourceKind(n.Source) == sourceKind(e.Source) || (n.GUID != "" && e.GUID != "") {
			return
		}
		sameImage := strings.EqualFold(baseName(n.Image), baseName(e.Image))
		var ok bool
		switch {
		case n.PID >= 0 && e.PID >= 0:
			ok = n.PID == e.PID && (n.Image == "" || e.Image == "" || sameImage)
		default:
			ok = sameImage && n.Image != "" && n.ParentPID >= 0 && n.ParentPID == e.ParentPID &&
				(n.CommandLine == "" || e.CommandLine == "" || strings.TrimSpace(n.CommandLine) == strings.TrimSpace(e.CommandLine))
		}
		if ok && (best == nil || d < bestD) {
			best, bestD = n, d
		}
	}
	// Equal PIDs (few nodes each)...
	if e.PID >= 0 {
		for _, n := range byPID[hostPID{hk, e.PID}] {
			consider(n)
		}
	}
	// ...or the same image and parent PID on the host, newest first, back to the merge window.
	if img := strings.ToLower(baseName(e.Image)); img != "" && e.ParentPID >= 0 {
		nodes := byImage[hostImage{hk, img, e.ParentPID}]
		for i := len(nodes) - 1; i >= 0 && e.Time.Sub(nodes[i].Time) <= mergeWindow; i-- {
			consider(nodes[i])
		}
	}
	return best
}

type hostImage struct {
	host, image string
	ppid        int64
}

// mergeWindow is how far apart a Sysmon 1 and a Security 4688 event of the
// same process creation may be (Mordor's Security events carry the
// collector's receive time, up to about 60s after the event).
const mergeWindow = 90 * time.Second

func sourceKind(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "sysmon") {
		return "sysmon"
	}
	return s
}

func baseName(img string) string {
	img = strings.ReplaceAll(img, `\`, "/")
	if img == "" {
		return ""
	}
	return path.Base(img)
}

// mergeEvent folds e into n, filling what n lacks.
func mergeEvent(n *Process, e ProcessEvent) {
	n.Sources = append(n.Sources, e.Source)
	if sourceKind(e.Source) == "sysmon" && !e.Time.IsZero() {
		n.Time = e.Time // Sysmon's UtcTime is the event time
	}
	if n.PID < 0 {
		n.PID = e.PID
	}
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&n.GUID, e.GUID)
	fill(&n.ParentGUID, e.ParentGUID)
	fill(&n.CommandLine, e.CommandLine)
	fill(&n.ParentImage, e.ParentImage)
	fill(&n.ParentCommandLine, e.ParentCommandLine)
	fill(&n.User, e.User)
	fill(&n.Image, e.Image)
	if n.ParentPID < 0 {
		n.ParentPID = e.ParentPID
	}
}

func findParent(n *Process, byGUID map[string]*Process, byPID map[hostPID][]*Process) *Process {
	if n.ParentGUID != "" {
		if p := byGUID[strings.ToLower(n.ParentGUID)]; p != nil && p != n {
			return p
		}
		if n.ParentPID < 0 {
			return nil
		}
	}
	if n.ParentPID < 0 {
		return nil
	}
	var best *Process
	for _, p := range byPID[hostPID{hostKey(n.Host), n.ParentPID}] {
		if p == n || p.Time.After(n.Time.Add(parentSkew)) {
			continue
		}
		// A GUID-carrying child names its parent's GUID: a different known
		// GUID under the same PID is another process.
		if n.ParentGUID != "" && p.GUID != "" && !strings.EqualFold(p.GUID, n.ParentGUID) {
			continue
		}
		if best == nil || p.Time.After(best.Time) {
			best = p
		}
	}
	return best
}

// breakCycles detaches the node where each parent chain loops back on
// itself (bad or colliding GUIDs), making it a root; one pass, linear time.
func (t *ProcessTree) breakCycles() {
	const (
		onPath = 1
		done   = 2
	)
	state := make(map[*Process]int, len(t.nodes))
	for _, n := range t.nodes {
		var path []*Process
		q := n
		for q != nil && state[q] == 0 {
			state[q] = onPath
			path = append(path, q)
			q = q.Parent
		}
		if q != nil && state[q] == onPath {
			// q's parent chain leads back to q: cut q from its parent.
			par := q.Parent
			for i, c := range par.Children {
				if c == q {
					par.Children = append(par.Children[:i], par.Children[i+1:]...)
					break
				}
			}
			q.Parent = nil
		}
		for _, p := range path {
			state[p] = done
		}
	}
}

// Processes returns every node of the tree, made-up parents included.
func (t *ProcessTree) Processes() []*Process { return append([]*Process(nil), t.nodes...) }

// Hosts returns the host names of the tree's events, sorted.
func (t *ProcessTree) Hosts() []string { return append([]string(nil), t.hosts...) }

// Highlight marks the processes for which match returns true (and keeps
// earlier marks); the HTML shows them marked and opens the branches that
// lead to them. label describes the match in the caption. It returns t.
//
//	tree.Highlight("powershell started by wmiprvse", view.Spawned("powershell.exe", "wmiprvse.exe"))
func (t *ProcessTree) Highlight(label string, match func(p *Process) bool) *ProcessTree {
	if t == nil || match == nil {
		return t
	}
	for _, n := range t.nodes {
		if !n.Highlighted && match(n) {
			n.Highlighted = true
			t.marks++
		}
	}
	if label != "" {
		if t.label != "" {
			t.label += "; "
		}
		t.label += label
	}
	return t
}

// Highlighted returns the marked processes in time order.
func (t *ProcessTree) Highlighted() []*Process {
	var out []*Process
	for _, n := range t.nodes {
		if n.Highlighted {
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// Spawned returns a match for processes whose image file name is image
// started by a parent whose image file name is parent (either may be "" for
// any), compared case-insensitively: Spawned("powershell.exe", "wmiprvse.exe").
func Spawned(image, parent string) func(p *Process) bool {
	return func(p *Process) bool {
		return (image == "" || strings.EqualFold(p.Name(), image)) &&
			(parent == "" || strings.EqualFold(p.ParentName(), parent))
	}
}

// Err reports why the tree cannot be shown, or nil.
func (t *ProcessTree) Err() error {
	if t == nil {
		return errors.New("process tree: nil")
	}
	return t.Error
}

func (t *ProcessTree) maxNodes() int {
	if t.MaxNodes > 0 {
		return t.MaxNodes
	}
	return 2000
}

// caption says what the tree shows in one sentence; drawn, when set, says what the HTML draws.
func (t *ProcessTree) caption(drawn string) string {
	var b strings.Builder
	seen := len(t.nodes) - t.Unparented
	fmt.Fprintf(&b, "Process tree of %s processes", group(int64(seen)))
	if t.Merged > 0 {
		fmt.Fprintf(&b, " (%s events, %s merged: same process in Sysmon and Security, or repeated)", group(int64(t.Events)), group(int64(t.Merged)))
	}
	fmt.Fprintf(&b, " on %d host", len(t.hosts))
	if len(t.hosts) != 1 {
		b.WriteString("s")
	}
	if seen > 0 {
		fmt.Fprintf(&b, ", %s to %s UTC", fmtTime(t.first, 0), fmtTime(t.last, 0))
	}
	fmt.Fprintf(&b, "; %d roots, %d of them parents not seen in the data", len(t.Roots), t.Unparented)
	if t.label != "" || t.marks > 0 {
		fmt.Fprintf(&b, "; %d highlighted", t.marks)
		if t.label != "" {
			b.WriteString(": " + clean(t.label))
		}
	}
	if n := len(t.nodes); n > t.maxNodes() {
		fmt.Fprintf(&b, "; first %s of %s nodes shown (filter the frame to see the rest)", group(int64(t.maxNodes())), group(int64(n)))
	}
	if drawn != "" {
		b.WriteString("; " + drawn)
	}
	if t.Note != "" {
		b.WriteString("; " + clean(t.Note))
	}
	b.WriteString(".")
	return b.String()
}

// String draws the tree as indented text with the caption first.
func (t *ProcessTree) String() string {
	if err := t.Err(); err != nil {
		return "process tree not built: " + err.Error()
	}
	var b strings.Builder
	b.WriteString(t.caption(""))
	budget := t.maxNodes()
	var walk func(n *Process, depth int)
	walk = func(n *Process, depth int) {
		if budget <= 0 {
			return
		}
		budget--
		b.WriteString("\n")
		b.WriteString(strings.Repeat("  ", depth))
		if n.Highlighted {
			b.WriteString("* ")
		} else {
			b.WriteString("- ")
		}
		b.WriteString(clean(t.headline(n)))
		if n.CommandLine != "" {
			b.WriteString("  " + shorten(clean(n.CommandLine), 160))
		}
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	for _, r := range t.Roots {
		walk(r, 0)
	}
	return b.String()
}

// headline is the one-line description of a node (unescaped).
func (t *ProcessTree) headline(n *Process) string {
	var b strings.Builder
	name := n.Name()
	if name == "" {
		name = "(unknown image)"
	}
	b.WriteString(name)
	if n.PID >= 0 {
		fmt.Fprintf(&b, " pid %d", n.PID)
	}
	if !n.Seen {
		b.WriteString(" [parent not seen]")
	} else {
		b.WriteString(" " + n.Time.UTC().Format("2006-01-02 15:04:05.000"))
	}
	if n.Host != "" {
		b.WriteString(" " + n.Host)
	}
	if n.User != "" {
		b.WriteString(" " + n.User)
	}
	return b.String()
}

const treeStyle = `<style>
.gohunt-ptree{font:13px/1.45 sans-serif}
.gohunt-ptree ul{list-style:none!important;margin:0!important;padding:0 0 0 1.4em!important;border-left:1px dotted #bbb}
.gohunt-ptree ul.gh-tree{padding-left:0!important;border-left:none}
.gohunt-ptree li{list-style:none!important;margin:0!important;padding:0!important}
.gohunt-ptree li.gh-leaf{padding-left:1.05em!important}
.gohunt-ptree summary{cursor:pointer}
.gohunt-ptree .gh-img{font-weight:bold}
.gohunt-ptree .gh-meta{opacity:.72;font-size:12px}
.gohunt-ptree .gh-unseen .gh-img{font-style:italic;opacity:.75}
.gohunt-ptree .gh-cmd{display:block;font:12px monospace;background:rgba(127,127,127,.1);white-space:pre-wrap;word-break:break-all;margin-left:1.05em}
.gohunt-ptree .gh-hl{background:rgba(214,39,40,.1);outline:2px solid #d62728;outline-offset:-2px;border-radius:3px;padding-left:3px!important;padding-right:3px!important}
.gohunt-ptree .gh-rare-mark{font-size:11px;color:#8a5a00;border:1px solid #c9a227;border-radius:3px;padding:0 3px}
.gohunt-ptree .gh-mark{color:#d62728;font-weight:bold}
</style>`

// HTML returns the tree as nested lists (indented by any browser, even
// where a sanitizer drops the styles) whose branches are details/summary
// elements: each process with its image, pid, time, host, user, the logs
// that recorded it and its command line; made-up parents in italics;
// highlighted processes outlined and marked "MATCH", leaves whose image
// no other process has marked "rare". Branches are open down to the
// highlighted processes and the rare leaves (and to depth 2 when nothing is
// highlighted); the caption counts what is drawn.
func (t *ProcessTree) HTML() string {
	if err := t.Err(); err != nil {
		return errorHTML("process tree not built", err)
	}
	var b strings.Builder
	b.WriteString(`<div class="gohunt-ptree">`)
	b.WriteString(treeStyle)
	open, drawn := t.openBranches()
	b.WriteString(`<div style="font-size:12px;opacity:.8;margin-bottom:4px">`)
	b.WriteString(esc(t.caption(drawn)))
	b.WriteString(`</div>`)
	rare := t.rareLeaves()
	budget := t.maxNodes()
	var walk func(n *Process, depth int)
	walk = func(n *Process, depth int) {
		if budget <= 0 {
			return
		}
		budget--
		cls := ""
		if !n.Seen {
			cls += " gh-unseen"
		}
		if n.Highlighted {
			cls += " gh-hl"
		}
		if rare[n] {
			cls += " gh-rare"
		}
		if len(n.Children) == 0 {
			b.WriteString(`<li class="gh-leaf` + cls + `">`)
			t.nodeHTML(&b, n, rare[n])
			fullCommand(&b, n)
			b.WriteString(`</li>`)
			return
		}
		b.WriteString(`<li><details`)
		if open[n] {
			b.WriteString(` open`)
		}
		b.WriteString(`><summary class="` + strings.TrimSpace(cls) + `">`)
		t.nodeHTML(&b, n, rare[n])
		b.WriteString(`</summary>`)
		fullCommand(&b, n)
		b.WriteString(`<ul>`)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
		b.WriteString(`</ul></details></li>`)
	}
	b.WriteString(`<ul class="gh-tree">`)
	for _, r := range t.Roots {
		walk(r, 0)
	}
	b.WriteString(`</ul></div>`)
	return b.String()
}

func (t *ProcessTree) nodeHTML(b *strings.Builder, n *Process, rare bool) {
	if n.Highlighted {
		b.WriteString(`<span class="gh-mark">&#9873; MATCH</span> `)
	}
	if rare {
		b.WriteString(`<span class="gh-rare-mark" title="no other process in the tree has this image">rare</span> `)
	}
	name := n.Name()
	if name == "" {
		name = "(unknown image)"
	}
	b.WriteString(`<span class="gh-img" title="` + esc(n.Image) + `">` + esc(name) + `</span>`)
	b.WriteString(` <span class="gh-meta">`)
	if n.PID >= 0 {
		fmt.Fprintf(b, "pid %d", n.PID)
	}
	if n.Seen {
		b.WriteString(" · " + n.Time.UTC().Format("2006-01-02 15:04:05.000") + " UTC")
	} else {
		b.WriteString(" · parent not seen in the data")
	}
	if n.Host != "" {
		b.WriteString(" · " + esc(n.Host))
	}
	if n.User != "" {
		b.WriteString(" · " + esc(n.User))
	}
	if len(n.Sources) > 0 {
		b.WriteString(" · " + esc(strings.Join(n.Sources, "+")))
	}
	switch len(n.Children) {
	case 0:
	case 1:
		b.WriteString(" · 1 child")
	default:
		fmt.Fprintf(b, " · %d children", len(n.Children))
	}
	b.WriteString(`</span>`)
	if n.CommandLine != "" {
		cmd := clean(n.CommandLine)
		if r := []rune(cmd); len(r) > cmdKeep {
			fmt.Fprintf(b, `<code class="gh-cmd">%s<span class="gh-meta"> … (%s characters; full command line below)</span></code>`,
				esc(string(r[:cmdKeep])), group(int64(len(r))))
		} else {
			b.WriteString(`<code class="gh-cmd">` + esc(cmd) + `</code>`)
		}
	}
}

// cmdKeep is how much of a command line the node line shows.
const cmdKeep = 400

// fullCommand writes a collapsed details element holding the whole command
// line when the node line had to cut it (it cannot go inside a summary).
func fullCommand(b *strings.Builder, n *Process) {
	cmd := clean(n.CommandLine)
	if len([]rune(cmd)) <= cmdKeep {
		return
	}
	b.WriteString(`<details class="gh-full"><summary class="gh-meta">full command line</summary><code class="gh-cmd">` + esc(cmd) + `</code></details>`)
}

// rareLeaves returns the seen leaves whose image name (case-insensitive) no other process in
// the tree has: the odd ones out that stack counting looks for. A tree with a single image
// has none.
func (t *ProcessTree) rareLeaves() map[*Process]bool {
	count := map[string]int{}
	for _, n := range t.nodes {
		if n.Seen {
			count[strings.ToLower(n.Name())]++
		}
	}
	rare := map[*Process]bool{}
	if len(count) < 2 {
		return rare
	}
	for _, n := range t.nodes {
		if n.Seen && len(n.Children) == 0 && n.Name() != "" && count[strings.ToLower(n.Name())] == 1 {
			rare[n] = true
		}
	}
	return rare
}

// openBranches returns the branches the HTML opens (the ancestors of highlighted processes
// and rare leaves, and every branch above depth 2 when nothing is highlighted) and a phrase
// counting what is drawn.
func (t *ProcessTree) openBranches() (map[*Process]bool, string) {
	open := map[*Process]bool{}
	rare := t.rareLeaves()
	for _, n := range t.nodes {
		if n.Highlighted || rare[n] {
			for q := n.Parent; q != nil; q = q.Parent {
				open[q] = true
			}
		}
	}
	if t.marks == 0 {
		var walk func(n *Process, depth int)
		walk = func(n *Process, depth int) {
			if depth >= 2 || len(n.Children) == 0 {
				return
			}
			open[n] = true
			for _, c := range n.Children {
				walk(c, depth+1)
			}
		}
		for _, r := range t.Roots {
			walk(r, 0)
		}
	}
	// Count within the drawing budget, in drawing order.
	budget := t.maxNodes()
	var drawn, branches, opened, hl, rr int
	var count func(n *Process)
	count = func(n *Process) {
		if budget <= 0 {
			return
		}
		budget--
		drawn++
		if n.Highlighted {
			hl++
		}
		if rare[n] {
			rr++
		}
		if len(n.Children) > 0 {
			branches++
			if open[n] {
				opened++
			}
		}
		for _, c := range n.Children {
			count(c)
		}
	}
	for _, r := range t.Roots {
		count(r)
	}
	phrase := fmt.Sprintf("drawn: %s processes, %d of %d branches open", group(int64(drawn)), opened, branches)
	var why []string
	if hl > 0 {
		why = append(why, fmt.Sprintf("%d highlighted", hl))
	}
	if rr > 0 {
		why = append(why, fmt.Sprintf("%d rare (image seen once)", rr))
	}
	if len(why) > 0 {
		phrase += " down to " + strings.Join(why, " and ")
	}
	return open, phrase
}
