package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/gohunt/gohunt/kernel"
	"github.com/gohunt/gohunt/messaging"
)

func init() {
	commands["kernel"] = command{"run the Jupyter kernel (started by Jupyter: gohunt kernel -f CONNECTION_FILE)", runKernel}
}

// runKernel serves the Jupyter protocol on the sockets of the connection file until shutdown.
func runKernel(args []string) error {
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	file := fs.String("f", "", "Jupyter connection file (required)")
	history := fs.String("history", "", `history file (default: gohunt/history.jsonl in the Jupyter data dir; "-" for none)`)
	maxMsg := fs.Int64("max-message-size", messaging.DefaultMaxMessageSize, "largest message a peer may send to any kernel socket, in bytes; a peer that sends more is disconnected")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return fmt.Errorf("missing -f CONNECTION_FILE")
	}
	ci, err := messaging.ReadConnectionFile(*file)
	if err != nil {
		return err
	}
	ctx := context.Background()
	k, err := kernel.New(ctx, ci, kernel.Config{HistoryPath: *history, MaxMessageSize: *maxMsg})
	if err != nil {
		return err
	}
	return k.Run(ctx)
}
