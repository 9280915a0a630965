package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/gohunt/gohunt/hunt/elastic"
)

func init() {
	commands["load"] = command{summary: "bulk-index Mordor datasets into Elasticsearch (--index NAME or --helk)", run: runLoad}
}

func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: gohunt load FILE... (--index NAME | --helk) [flags]

Bulk-indexes JSON-lines events (Mordor .zip/.tar.gz archives, .json, .jsonl, .gz) into
Elasticsearch. Document ids are hashes of the events: loading twice adds nothing.
--helk renames fields as HELK's Logstash does and writes to logs-endpoint-winevent-<log>-YYYY.MM.dd.
The cluster comes from --url or ES_URL; credentials from ES_USER/ES_PASSWORD or ES_API_KEY.

flags:`)
		fs.PrintDefaults()
	}
	index := fs.String("index", "", "target index (with --helk: a prefix replacing "+elastic.HELKIndexPrefix+")")
	helk := fs.Bool("helk", false, "normalize as HELK and write to HELK's index names")
	esURL := fs.String("url", "", "Elasticsearch URL (default $ES_URL)")
	workers := fs.Int("workers", 2, "bulk workers")
	flush := fs.Int("flush-bytes", 5<<20, "bulk request size in bytes")
	insecure := fs.Bool("insecure", false, "skip TLS certificate verification")
	caFile := fs.String("ca-cert", "", "PEM file of the CA to trust")
	quiet := fs.Bool("q", false, "no progress lines")
	// Flags may follow the files: split them out first.
	var files, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && name != "helk" && name != "insecure" && name != "q" && name != "h" && name != "help" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		files = append(files, a)
	}
	if err := fs.Parse(flags); err != nil {
		return err
	}
	files = append(files, fs.Args()...)
	if len(files) == 0 {
		fs.Usage()
		return fmt.Errorf("no input files")
	}
	if *index == "" && !*helk {
		return fmt.Errorf("no target: give --index NAME or --helk")
	}
	cfg := elastic.Config{URL: *esURL, Insecure: *insecure}.FromEnv()
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("reading CA certificate: %w", err)
		}
		cfg.CACert = pem
	}
	cl, err := elastic.Connect(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := elastic.LoadOptions{Index: *index, HELK: *helk, Workers: *workers, FlushBytes: *flush, Refresh: true}
	if !*quiet {
		opts.Progress = func(s elastic.LoadStats) {
			rate := float64(s.Read) / max(s.Duration.Seconds(), 1e-9)
			fmt.Fprintf(os.Stderr, "\r%d read, %d created, %d present, %d failed (%.0f/s)   ", s.Read, s.Created, s.Updated, s.Failed+s.Invalid, rate)
		}
	}
	t0 := time.Now()
	st, err := cl.Load(ctx, opts, files...)
	if !*quiet {
		fmt.Fprintln(os.Stderr)
	}
	names := make([]string, 0, len(st.Indices))
	for n := range st.Indices {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("%-60s %d\n", n, st.Indices[n])
	}
	fmt.Printf("%s into %s in %.1fs\n", st, cl.URL(), time.Since(t0).Seconds())
	return err
}
