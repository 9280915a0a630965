//go:build ignore

// genlogo renders logo-32x32.png and logo-64x64.png from the same geometry as logo-svg.svg
// (run: go run kernelspec/genlogo.go from the repository root). Pure Go, no image tools needed.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

// inside reports whether the point (x, y), in the SVG's 64x64 user units, is white (1),
// cyan (2) or transparent (0).
func inside(x, y float64) int {
	// Rounded square 2..62 with radius 12.
	cx := math.Max(math.Max(14-x, x-50), 0)
	cy := math.Max(math.Max(14-y, y-50), 0)
	if x < 2 || x > 62 || y < 2 || y > 62 || cx*cx+cy*cy > 12*12 {
		return 0
	}
	d := math.Hypot(x-32, y-32)
	if math.Abs(d-19) <= 2 || d <= 5 {
		return 1
	}
	seg := func(x1, y1, x2, y2 float64) bool { // capsule of radius 2 around the segment
		px, py := math.Max(x1, math.Min(x, x2)), math.Max(y1, math.Min(y, y2))
		return math.Hypot(x-px, y-py) <= 2
	}
	if seg(32, 6, 32, 18) || seg(32, 46, 32, 58) || seg(6, 32, 18, 32) || seg(46, 32, 58, 32) {
		return 1
	}
	return 2
}

func render(size int, path string) {
	const ss = 8 // samples per axis per pixel
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := 64 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					switch inside(x, y) {
					case 1:
						r, g, b, a = r+255, g+255, b+255, a+1
					case 2:
						r, g, b, a = r+0x00, g+0xAD, b+0xD8, a+1
					}
				}
			}
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / ss / ss)})
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	render(32, "kernelspec/logo-32x32.png")
	render(64, "kernelspec/logo-64x64.png")
}
