package main

import (
	"archive/zip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gohunt/gohunt/hunt"
	"github.com/gohunt/gohunt/hunt/session"
	"github.com/gohunt/gohunt/kernel/display"
)

// thpQuery is one Threat Hunter Playbook sample: its section, the Mordor recording it runs over
// (as JSON lines, unzipped for Spark) and its Spark SQL, verbatim.
type thpQuery struct {
	Name string `json:"name"`
	Path string `json:"path"`
	SQL  string `json:"sql"`
}

// thpSettings are the settings the samples ran with (Spark 3's semantics; the translator's and
// the Spark tests' reference): names case-sensitive, ANSI mode off.
var thpSettings = []string{"SET spark.sql.caseSensitive=true", "SET spark.sql.ansi.enabled=false"}

// thpView is the statement that makes mordorTable over one recording, in both clients.
func thpView(path string) string {
	return "CREATE OR REPLACE TEMPORARY VIEW mordorTable USING json OPTIONS (path '" + strings.ReplaceAll(path, "'", `\'`) + "')"
}

// loadTHP reads the samples of shared/analytics/thp_spark_sql.md and unzips their recordings
// (shared/datasets) into dir.
func loadTHP(shared, dir string) ([]thpQuery, error) {
	b, err := os.ReadFile(filepath.Join(shared, "analytics", "thp_spark_sql.md"))
	if err != nil {
		return nil, err
	}
	var qs []thpQuery
	var name, dataset string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "## ") {
			name = strings.Fields(l[3:])[0]
			_, dataset, _ = strings.Cut(l, "dataset: ")
			dataset = strings.TrimSpace(dataset)
		}
		if l != "```sql" {
			continue
		}
		var q []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			q = append(q, lines[i])
		}
		if dataset == "" {
			return nil, fmt.Errorf("thp_spark_sql.md line %d: a query before any \"## ... dataset:\" heading", i+1)
		}
		path := filepath.Join(dir, strings.TrimSuffix(dataset, ".zip")+".json")
		if _, err := os.Stat(path); err != nil {
			if err := unzipOne(filepath.Join(shared, "datasets", dataset), path); err != nil {
				return nil, err
			}
		}
		qs = append(qs, thpQuery{Name: fmt.Sprintf("%s#%d", name, len(qs)+1), Path: path, SQL: strings.Join(q, "\n")})
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("no ```sql blocks in thp_spark_sql.md")
	}
	return qs, nil
}

// unzipOne extracts the one file of a Mordor zip to out.
func unzipOne(zipPath, out string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		return fmt.Errorf("%s holds %d files, want one JSON file", zipPath, len(zr.File))
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		return fmt.Errorf("%s: %w", zipPath, err)
	}
	defer rc.Close()
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", zipPath, err)
	}
	return f.Close()
}

// benchTHP times every THP sample as `%%sql -e sp` shows it (sp.SQL(query) displayed as the
// kernel displays a cell's value) against PySpark's spark.sql(query).show(20, False), on the
// same server over the same views (each client's session makes its own), the runs interleaved,
// and checks that both clients return the same rows.
func benchTHP(url, py, peer, shared string, reps int) error {
	dir, err := os.MkdirTemp("", "gohunt-bench-thp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	qs, err := loadTHP(shared, dir)
	if err != nil {
		return fmt.Errorf("THP samples: %w", err)
	}
	sp := hunt.Spark(url)
	if sp.Err() != nil {
		return sp.Err()
	}
	defer sp.Close()
	for _, s := range thpSettings {
		if err := sp.SQL(s).Err(); err != nil {
			return err
		}
	}
	// Run in a cell, as %%sql -e sp does; the view statement runs when SQL is called.
	cell := func(f func() error) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		defer session.Begin(ctx, nil)()
		return f()
	}
	pp, err := startPeer(py, peer, url)
	if err != nil {
		return err
	}
	defer pp.close()
	peerSQL := func(mode, q string) (*peerOut, error) {
		return pp.run(mode, base64.StdEncoding.EncodeToString([]byte(q)))
	}
	for _, s := range thpSettings {
		if _, err := peerSQL("exec", s); err != nil {
			return err
		}
	}
	var gSum, pSum float64
	fmt.Printf("  THP samples (%d, ../shared/analytics/thp_spark_sql.md) as %%%%sql -e sp shows them vs spark.sql(q).show(20, False):\n", len(qs))
	view := ""
	for _, q := range qs {
		if q.Path != view {
			if err := sp.SQL(thpView(q.Path)).Err(); err != nil {
				return fmt.Errorf("%s: %w", q.Name, err)
			}
			if _, err := peerSQL("exec", thpView(q.Path)); err != nil {
				return fmt.Errorf("%s: %w", q.Name, err)
			}
			view = q.Path
		}
		show := func() ([][]any, error) {
			return nil, cell(func() error {
				b, err := display.Bundle(sp.SQL(q.SQL))
				if err != nil {
					return err
				}
				if s, _ := b[display.MIMEText].(string); !strings.Contains(s, "column") {
					return fmt.Errorf("the display shows no table: %s", s)
				}
				return nil
			})
		}
		goSecs, _, p, err := interleave(reps, show, func() (*peerOut, error) { return peerSQL("showsql", q.SQL) })
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
		f := sp.SQL(q.SQL)
		rows, err := f.Collect()
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
		cols := f.Columns()
		var goRows [][]any
		for _, r := range rows {
			row := make([]any, len(cols))
			for j, c := range cols {
				row[j] = r[c]
			}
			goRows = append(goRows, row)
		}
		if err := sameRowsAllowEmpty(goRows, p.Rows); err != nil {
			return fmt.Errorf("THP %s: the peer returned different rows: %w", q.Name, err)
		}
		g, py := median(goSecs), median(p.Seconds)
		gSum, pSum = gSum+g, pSum+py
		fmt.Printf("    %-40s %d rows   gohunt %6.3f s   PySpark Connect %6.3f s   ratio %.2fx\n", q.Name, len(goRows), g, py, g/py)
	}
	fmt.Printf("  %-60s gohunt %7.3f s   PySpark Connect %7.3f s   ratio %.2fx (sums of per-query medians of %d)\n", "THP samples, all", gSum, pSum, gSum/pSum, reps)
	return nil
}

// sameRowsAllowEmpty is sameRows (unordered) where both sides may be empty (samples 7 and 9
// find nothing in their recordings).
func sameRowsAllowEmpty(got, want [][]any) error {
	if len(got) == 0 && len(want) == 0 {
		return nil
	}
	return sameRows(got, want, true)
}
