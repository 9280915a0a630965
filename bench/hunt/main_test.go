package main

import (
	"strings"
	"testing"
)

// A peer whose rows differ from gohunt's fails the benchmark, naming both.
func TestSameRowsFailsOnAPeerWithOtherRows(t *testing.T) {
	if err := sameRows("THP samples", "PySpark", []int{1, 2, 0}, []int{1, 2, 0}); err != nil {
		t.Fatalf("equal rows: %v", err)
	}
	for _, other := range [][]int{{1, 3, 0}, {1, 2}, nil} {
		err := sameRows("THP samples", "PySpark", []int{1, 2, 0}, other)
		if err == nil || !strings.Contains(err.Error(), "PySpark returned") || !strings.Contains(err.Error(), "gohunt [1 2 0]") {
			t.Errorf("peer rows %v: %v", other, err)
		}
	}
}
