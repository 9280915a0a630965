package main

import "github.com/gohunt/gohunt/kernel/worker"

func init() {
	commands["worker"] = command{
		summary: "the interpreter process the kernel supervises (internal; see kernel/ipc)",
		run: func(args []string) error {
			return worker.Main()
		},
	}
}
