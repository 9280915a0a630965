"""Go parameter translator for papermill.

papermill turns each parameter value (a str, int, float, bool, None, list or dict, as parsed from
the command line or YAML) into one source line and injects the lines as a new cell, tagged
``injected-parameters``, after the cell tagged ``parameters``. For Go the line is a short variable
declaration, which the gohunt kernel lets a later cell repeat, even with another type::

    // Parameters
    start := "2020-09-20"
    limit := 50
    threshold := 0.5
    verbose := true
    hosts := []string{"WORKSTATION5", "WORKSTATION6"}

The Go type follows the value papermill passes (papermill's CLI makes "3" an int and "3.0" a
float, "True"/"False" bools), so a notebook's parameters cell should declare each parameter with a
literal of the type it expects: ``threshold := 0.5`` and then ``-p threshold 1.0``.

Mapping (the gohunt runner, ``gohunt run -p``, applies the same rules):

==========================  =====================================================
Python value                Go source
==========================  =====================================================
str                         interpreted string literal, every byte escaped safely
int (64-bit range)          integer literal (type int); larger values are an error
float                       float literal (float64); inf/nan use package math
bool                        true / false
None                        ``any(nil)`` (``nil`` inside a composite)
list / tuple                ``[]T{...}``: T is the elements' common type, ``any`` if mixed
dict                        ``map[K]V{...}`` with K, V found the same way
anything else               its str() as a string literal
==========================  =====================================================
"""

import math
import re
import unicodedata

from papermill.exceptions import PapermillException
from papermill.models import Parameter
from papermill.translators import Translator

__all__ = ["GoTranslator", "go_literal", "go_type"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

GO_KEYWORDS = frozenset(
    "break case chan const continue default defer else fallthrough for func go goto if import "
    "interface map package range return select struct switch type var".split()
)

_IDENT = re.compile(r"^[^\W\d]\w*$")

_SIMPLE_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_string(s):
    """Returns s as a Go interpreted string literal.

    Printable characters are kept as they are; quotes, backslashes, control and format characters
    (including U+FEFF, which Go rejects inside source), line and paragraph separators are escaped.
    A lone surrogate (not valid Unicode, so not valid UTF-8) is kept as its raw bytes.
    """
    out = ['"']
    for ch in s:
        esc = _SIMPLE_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
            continue
        cp = ord(ch)
        if 0x20 <= cp < 0x7F:
            out.append(ch)
        elif 0xD800 <= cp <= 0xDFFF:
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        elif cp < 0x80:
            out.append(f"\\x{cp:02x}")
        elif ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Co", "Cn"):
            out.append(ch)
        elif cp <= 0xFFFF:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


def _common(types):
    types = set(types)
    if not types:
        return "any"
    if len(types) == 1:
        return types.pop()
    if types <= {"int", "float64"}:
        return "float64"
    return "any"


def go_type(val):
    """Returns the Go type the translator gives val (see the module doc)."""
    if val is None:
        return "any"
    if isinstance(val, bool):
        return "bool"
    if isinstance(val, int):
        return "int"
    if isinstance(val, float):
        return "float64"
    if isinstance(val, str):
        return "string"
    if isinstance(val, (list, tuple)):
        return "[]" + _common(go_type(v) for v in val)
    if isinstance(val, dict):
        if not val:
            return "map[string]any"
        key = _common(go_type(k) for k in val)
        if key.startswith(("[]", "map[")):
            raise ValueError(f"map key type {key} is not comparable in Go")
        return f"map[{key}]" + _common(go_type(v) for v in val.values())
    return "string"


def _float(val):
    if math.isnan(val):
        return "math.NaN()"
    if math.isinf(val):
        return "math.Inf(1)" if val > 0 else "math.Inf(-1)"
    return repr(val)  # always has a '.' or an exponent, so Go reads it as a float constant


def go_literal(val, top=True):
    """Returns Go source that evaluates to val, with the type go_type(val) (see the module doc).

    top is False for an element of a composite literal, where None is written as plain nil.
    """
    if val is None:
        return "any(nil)" if top else "nil"
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, int):
        if not INT64_MIN <= val <= INT64_MAX:
            raise ValueError(f"integer {val} does not fit a Go int (64 bits)")
        return str(val)
    if isinstance(val, float):
        return _float(val)
    if isinstance(val, str):
        return go_string(val)
    if isinstance(val, (list, tuple)):
        elems = ", ".join(go_literal(v, top=False) for v in val)
        return f"{go_type(val)}{{{elems}}}"
    if isinstance(val, dict):
        elems = ", ".join(
            f"{go_literal(k, top=False)}: {go_literal(v, top=False)}" for k, v in val.items()
        )
        return f"{go_type(val)}{{{elems}}}"
    return go_string(str(val))


def _needs_math(val):
    """Reports whether go_literal(val) calls math.Inf or math.NaN."""
    if isinstance(val, float):
        return not math.isfinite(val)
    if isinstance(val, (list, tuple)):
        return any(_needs_math(v) for v in val)
    if isinstance(val, dict):
        return any(_needs_math(k) or _needs_math(v) for k, v in val.items())
    return False


def check_name(name):
    """Raises PapermillException unless name can be declared as a Go variable."""
    if not isinstance(name, str) or not _IDENT.match(name) or name in GO_KEYWORDS:
        raise PapermillException(f"parameter name {name!r} is not a valid Go identifier")


class GoTranslator(Translator):
    """papermill Translator writing parameters as Go short variable declarations."""

    @classmethod
    def translate(cls, val):
        return go_literal(val)

    @classmethod
    def translate_escaped_str(cls, str_val):
        return go_string(str_val if isinstance(str_val, str) else str(str_val))

    @classmethod
    def translate_str(cls, val):
        return go_string(val)

    @classmethod
    def translate_none(cls, val):
        return go_literal(None)

    @classmethod
    def translate_int(cls, val):
        return go_literal(val)

    @classmethod
    def translate_float(cls, val):
        return go_literal(val)

    @classmethod
    def translate_bool(cls, val):
        return go_literal(val)

    @classmethod
    def translate_dict(cls, val):
        return go_literal(val)

    @classmethod
    def translate_list(cls, val):
        return go_literal(val)

    @classmethod
    def comment(cls, cmt_str):
        return f"// {cmt_str}".strip()

    @classmethod
    def assign(cls, name, str_val):
        return f"{name} := {str_val}"

    @classmethod
    def codify(cls, parameters, comment="Parameters"):
        """Returns the injected cell's source: a comment line, then one declaration per parameter.

        An `import "math"` line follows the comment when a value needs math.Inf or math.NaN.
        A name that is not a Go identifier, or a value Go cannot hold, raises PapermillException
        naming the parameter.
        """
        lines = []
        for name, val in parameters.items():
            check_name(name)
            try:
                lines.append(cls.assign(name, cls.translate(val)))
            except ValueError as err:
                raise PapermillException(f"parameter {name}: {err}") from err
        head = [cls.comment(comment)]
        if any(_needs_math(v) for v in parameters.values()):
            head.append('import "math"')
        return "\n".join(head + lines) + "\n"

    @classmethod
    def inspect(cls, parameters_cell):
        """Lists the parameters a Go cell tagged `parameters` declares (for papermill --help-notebook).

        Understood forms, one per line (a composite literal may span lines), each with an optional
        trailing // comment used as the help text:
            name := value
            var name = value
            var name T = value
            var name T
        """
        params = []
        for stmt, help_text in _statements(parameters_cell["source"]):
            m = _VAR_DECL.match(stmt) or _SHORT_DECL.match(stmt)
            if not m or m.group("name") in GO_KEYWORDS:
                continue
            typ = (m.groupdict().get("type") or "").strip()
            value = (m.group("value") or "").strip()
            if not typ:
                typ = _infer_type(value) if value else "None"
            params.append(
                Parameter(
                    name=m.group("name"),
                    inferred_type_name=typ,
                    default=value or "None",
                    help=help_text,
                )
            )
        return params


_VAR_DECL = re.compile(
    r"^var\s+(?P<name>[^\W\d]\w*)(?P<type>(?:\s+[^=]+?)?)\s*(?:=\s*(?P<value>.+))?$", re.S
)
_SHORT_DECL = re.compile(r"^(?P<name>[^\W\d]\w*)\s*:=\s*(?P<value>.+)$", re.S)


def _split_comment(line, state):
    """Splits line into code and // comment, outside string, rune and raw string literals.

    state carries an open raw string (backquote) across lines; returns (code, comment, state).
    """
    i, n = 0, len(line)
    in_raw = state
    while i < n:
        c = line[i]
        if in_raw:
            if c == "`":
                in_raw = False
            i += 1
            continue
        if c == "`":
            in_raw = True
        elif c in "\"'":
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if line[j] == "\\" else 1
            i = j
        elif line.startswith("//", i):
            return line[:i], line[i + 2 :].strip(), False
        i += 1
    return line, "", in_raw


def _depth(code):
    """Net bracket depth of code, ignoring brackets inside literals."""
    depth, i, n = 0, 0, len(code)
    while i < n:
        c = code[i]
        if c in "\"'`":
            j = i + 1
            while j < n and code[j] != c:
                j += 2 if (code[j] == "\\" and c != "`") else 1
            i = j
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        i += 1
    return depth


def _statements(source):
    """Yields (statement, help) for each top-level statement of a Go parameters cell."""
    acc, help_text, depth, raw = [], "", 0, False
    for line in source.splitlines():
        code, cmt, raw = _split_comment(line, raw)
        if not acc and not code.strip():
            continue
        acc.append(code.strip())
        if cmt:
            help_text = cmt
        depth += _depth(code)
        if depth <= 0 and not raw:
            yield " ".join(p for p in acc if p), help_text
            acc, help_text, depth = [], "", 0
    if acc:
        yield " ".join(p for p in acc if p), help_text


_INT_LIT = re.compile(r"^-?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[0-9][0-9_]*)$")
_FLOAT_LIT = re.compile(r"^-?([0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)$")
_BASIC = {
    "bool", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
    "uint32", "uint64", "float32", "float64", "byte", "rune", "any", "time.Duration",
}


def _infer_type(value):
    """Guesses the Go type of a literal written in a parameters cell; "None" when unknown."""
    v = value.strip()
    if v.startswith(('"', "`")):
        return "string"
    if v in ("true", "false"):
        return "bool"
    if v.startswith("'"):
        return "rune"
    if _INT_LIT.match(v):
        return "int"
    if _FLOAT_LIT.match(v):
        return "float64"
    m = re.match(r"^([\w.\[\]\*]+)\s*\{", v)
    if m:
        return m.group(1)
    m = re.match(r"^([\w.]+)\(", v)
    if m and m.group(1) in _BASIC:
        return m.group(1)
    return "None"
