// Command gohunt is the gohunt Jupyter kernel and its tools, in one binary:
//
//	gohunt kernel -f CONNECTION_FILE   the kernel Jupyter starts (see kernelspec/)
//	gohunt worker                      the interpreter process the kernel supervises (internal)
//	gohunt load FILE... --index NAME   bulk-index Mordor datasets into Elasticsearch
//	gohunt run NOTEBOOK [-p k=v]...    execute a notebook headless, without Python
//
// Each subcommand lives in its own file and registers itself in commands.
package main

import (
	"fmt"
	"os"
	"sort"
)

// command is one gohunt subcommand.
type command struct {
	summary string
	run     func(args []string) error
}

// commands is filled by the init functions of this package's files, one per subcommand.
var commands = map[string]command{}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "gohunt: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "gohunt %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gohunt COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", n, commands[n].summary)
	}
}
