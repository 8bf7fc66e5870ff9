package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// applyFile sets the keys the YAML file at path names. The file is one
// mapping of key names (as in keys()) to scalars; a list is taken as its
// items joined by commas (trusted-proxies, ice-public-ip). An unknown key,
// a key given twice or a bad value is an error naming the key and line.
func applyFile(c *config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := applyYAML(c, b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// applyYAML is applyFile on the file's content.
func applyYAML(c *config, b []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file sets nothing
		}
		return err
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	m := doc.Content[0]
	if m.Kind == yaml.ScalarNode && m.Tag == "!!null" {
		return nil // only comments
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want key: value lines", m.Line)
	}
	ks := map[string]key{}
	for _, k := range keys() {
		ks[k.name] = k
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		k, ok := ks[kn.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q", kn.Line, kn.Value)
		}
		if seen[k.name] {
			return fmt.Errorf("line %d: key %q given twice", kn.Line, k.name)
		}
		seen[k.name] = true
		v, err := scalarText(vn)
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", vn.Line, k.name, err)
		}
		if err := setField(k.field(c), v); err != nil {
			return fmt.Errorf("line %d: %s: %q is %w", vn.Line, k.name, v, err)
		}
	}
	return nil
}

// scalarText is the text of a scalar node, or a list of scalars joined by
// commas.
func scalarText(n *yaml.Node) (string, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		var items []string
		for _, it := range n.Content {
			if it.Kind != yaml.ScalarNode {
				return "", errors.New("a list may hold only plain values")
			}
			items = append(items, it.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", errors.New("want a plain value or a list of them, not a mapping")
}

// setField parses s into the field p points at. Its errors complete a
// sentence starting `"s" is`.
func setField(p any, s string) error {
	switch p := p.(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a whole number")
		}
		*p = n
	case *float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return errors.New("not a number")
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not true or false")
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New("not a duration such as 30s, 5m or 1h30m")
		}
		*p = d
	default:
		return fmt.Errorf("of a field of type %T, which keys() cannot hold", p)
	}
	return nil
}
