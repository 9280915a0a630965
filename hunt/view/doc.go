// Package view draws the pictures hunters read before tables: timelines of
// events, process trees and value-count bars.
//
// Every view is built from plain Go data (bucket counts, process events,
// value counts), so it can be used and tested without a database; package
// hunt fills these from frames (aggregating in DuckDB or Elasticsearch first).
//
// Views are static: SVG and HTML with no JavaScript and no network access,
// so they show in JupyterLab, in nbconvert HTML exports and on code hosts.
// Each view implements
//
//	HTML() string   // text/html: the picture plus a caption
//	SVG() string    // image/svg+xml (charts only)
//	String() string // text/plain: what the picture shows (counts, span)
//	Err() error     // non-nil when the view could not be built
//
// Every string that comes from event data is escaped before it reaches HTML
// or SVG; nothing from the data is executed.
//
// Charts are drawn with gonum.org/v1/plot and its SVG canvas (vgsvg): the
// library lays out axes, ticks, tick labels and legends, and this package
// adds only what it lacks (time ticks on UTC boundaries, timeline lanes).
package view
