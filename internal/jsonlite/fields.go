package jsonlite

import (
	"reflect"
	"strings"
	"sync"
)

// field is a struct field as encoding/json sees it.
type field struct {
	name      string
	index     []int // FieldByIndex's path, through embedded structs
	omitEmpty bool
	omitZero  bool
	depth     int
}

// fields lists t's fields as encoding/json reads and writes them: in
// field order, embedded structs' fields in their place, a name hidden by
// a shallower one left out. false for what it treats specially: embedded
// pointers and non-structs, a name twice at its shallowest depth (its tie
// rules), tag options other than omitempty and omitzero, tag names it
// would not use.
func fields(t reflect.Type) ([]field, bool) {
	// Cached for both directions: a CLI writes a record and reads it back.
	if c, ok := fieldsCache.Load(t); ok {
		return c.([]field), true
	}
	out, ok := walkFields(t)
	if ok {
		fieldsCache.Store(t, out)
	}
	return out, ok
}

var fieldsCache sync.Map // reflect.Type -> []field

func walkFields(t reflect.Type) ([]field, bool) {
	var all []field
	if !collect(t, nil, 0, &all) {
		return nil, false
	}
	best := map[string]int{} // name -> shallowest depth
	count := map[string]int{}
	for _, f := range all {
		if d, ok := best[f.name]; !ok || f.depth < d {
			best[f.name] = f.depth
			count[f.name] = 1
		} else if f.depth == d {
			count[f.name]++
		}
	}
	out := all[:0]
	for _, f := range all {
		if f.depth != best[f.name] {
			continue
		}
		if count[f.name] > 1 {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

// collect appends t's fields in field order, walking embedded structs
// where they stand.
func collect(t reflect.Type, at []int, depth int, out *[]field) bool {
	if depth > 8 {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(append([]int(nil), at...), i)
		if f.Anonymous && name == "" {
			if f.Type.Kind() != reflect.Struct || !collect(f.Type, idx, depth+1, out) {
				return false
			}
			continue
		}
		if !f.IsExported() {
			if f.Anonymous {
				return false // an unexported embedded type with a name
			}
			continue
		}
		fl := field{index: idx, depth: depth}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "omitempty":
				fl.omitEmpty = true
			case "omitzero":
				fl.omitZero = true
			default:
				return false // string, and what encoding/json ignores
			}
		}
		if name == "" {
			name = f.Name
		} else if !validTagName(name) {
			return false // encoding/json would use the field's name
		}
		fl.name = name
		*out = append(*out, fl)
	}
	return true
}
