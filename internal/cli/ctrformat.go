package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// formatter prints rows with a Go template; "table ..." prints a header
// and aligns columns like docker.
type formatter struct {
	tmpl  *template.Template
	table bool
	w     io.Writer
	tw    *tabwriter.Writer
	hdr   string
	out   *formatBudget
}

func newFormatter(w io.Writer, format string, header func(string) string) (*formatter, error) {
	f := &formatter{w: w, out: newBudget()}
	if strings.HasPrefix(format, "table") {
		f.table = true
		format = strings.TrimSpace(strings.TrimPrefix(format, "table"))
		f.tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		f.w = f.tw
		f.hdr = header(format)
	}
	format = strings.ReplaceAll(format, `\t`, "\t")
	format = strings.ReplaceAll(format, `\n`, "\n")
	t, err := parseFormat("", format)
	if err != nil {
		return nil, badFlag("template parsing error: %v", err)
	}
	f.tmpl = t
	if f.table && f.hdr != "" {
		fmt.Fprintln(f.w, f.hdr)
	}
	return f, nil
}

func (f *formatter) row(v any) error {
	b, err := f.out.render(f.tmpl, v)
	if err != nil {
		return badFlag("template: %v", err)
	}
	_, err = f.w.Write(append(b, '\n'))
	return err
}

func (f *formatter) flush() {
	if f.tw != nil {
		f.tw.Flush()
	}
}

// headerFromTemplate derives docker's column headers from {{.Field}} names.
func headerFromTemplate(names map[string]string) func(string) string {
	return func(format string) string {
		var cols []string
		for _, part := range strings.Split(format, "\t") {
			part = strings.ReplaceAll(part, `\t`, "\t")
			for _, p := range strings.Split(part, "\t") {
				start := strings.Index(p, "{{")
				end := strings.Index(p, "}}")
				if start < 0 || end < start {
					cols = append(cols, strings.ToUpper(p))
					continue
				}
				field := strings.TrimSpace(p[start+2 : end])
				field = strings.TrimPrefix(field, ".")
				if h, ok := names[field]; ok {
					cols = append(cols, h)
				} else {
					cols = append(cols, strings.ToUpper(field))
				}
			}
		}
		return strings.Join(cols, "\t")
	}
}

// humanDuration is go-units' HumanDuration, as docker prints ages.
func ageString(d time.Duration) string {
	if s := int(d.Seconds()); s < 1 {
		return "Less than a second"
	} else if s == 1 {
		return "1 second"
	} else if s < 60 {
		return fmt.Sprintf("%d seconds", s)
	} else if m := int(d.Minutes()); m == 1 {
		return "About a minute"
	} else if m < 60 {
		return fmt.Sprintf("%d minutes", m)
	} else if h := int(d.Round(time.Hour).Hours()); h == 1 {
		return "About an hour"
	} else if h < 48 {
		return fmt.Sprintf("%d hours", h)
	} else if h < 24*7*2 {
		return fmt.Sprintf("%d days", h/24)
	} else if h < 24*30*2 {
		return fmt.Sprintf("%d weeks", h/24/7)
	} else if h < 24*365*2 {
		return fmt.Sprintf("%d months", h/24/30)
	} else {
		return fmt.Sprintf("%d years", int(d.Hours())/24/365)
	}
}

// humanSize is go-units' HumanSize (decimal) for ps -s.
func decimalSize(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	return fmt.Sprintf("%.4g%s", n, units[i])
}

// bytesSize is go-units' BytesSize (binary) for stats.
func binarySize(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%.4g%s", n, units[i])
}

// joinAny is docker's join, also for the []any that JSON-shaped documents hold.
func joinAny(v any, sep string) string {
	switch l := v.(type) {
	case []string:
		return strings.Join(l, sep)
	case []any:
		s := make([]string, len(l))
		for i, x := range l {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, sep)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
