"""jupyter_kernel_test 0.7.0 conformance for the gohunt kernel, with every attribute set."""
import unittest

import jupyter_kernel_test as jkt


class GohuntKernelTests(jkt.KernelTests):
    kernel_name = "gohunt"
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'import "os"\nfmt.Fprintln(os.Stderr, "to stderr")'

    completion_samples = [
        {"text": "fmt.Printl", "matches": ["fmt.Println"]},
        {"text": "strings.ToUpp", "matches": ["strings.ToUpper", "strings.ToUpperSpecial"]},
    ]

    complete_code_samples = ["x := 1", "fmt.Println(1)", "func f() int { return 1 }", "import \"os\""]
    incomplete_code_samples = ["func f() {", "for i := 0; i < 3; i++ {", "x := []int{1,"]
    invalid_code_samples = ["x := )", "}", "var 1x = 2"]

    code_page_something = "?fmt.Println"

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": '"go" + "hunt"', "result": '"gohunt"'},
        {"code": "[]int{1, 2, 3}", "result": "[1 2 3]"},
    ]

    code_display_data = [
        {"code": 'display.HTML("<b>hunt</b>")', "mime": "text/html"},
        {"code": 'display.Markdown("# hunt")', "mime": "text/markdown"},
        {"code": 'display.SVG("<svg xmlns=\'http://www.w3.org/2000/svg\'></svg>")', "mime": "image/svg+xml"},
    ]

    code_history_pattern = "1?2"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "fmt.Println"

    code_clear_output = "display.Clear(false)"


class GohuntIopubWelcomeTests(jkt.IopubWelcomeTests):
    """JEP 65: a fresh IOPub subscriber's first message is iopub_welcome."""

    kernel_name = "gohunt"
    support_iopub_welcome = True


if __name__ == "__main__":
    unittest.main()
