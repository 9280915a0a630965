package display

// Active reports whether a sink is installed: true inside the kernel, where display calls reach
// the notebook, false in a plain program, where they do nothing. Libraries use it to choose
// between a rich output and printing text.
func Active() bool { return current() != nil }
