package hunt

const sparkMacros = `SELECT 1`

func translateSparkExpr(s string, sc scope) (string, error) { return s, nil }
