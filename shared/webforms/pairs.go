package webforms

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"text/template/parse"
)

// Pair is a text of the forms in both languages: the arguments of one {{t "…" "…"}}.
type Pair struct{ EN, FR string }

// Pairs are the texts of every {{t "English" "Français"}} of src's pages and parts, in
// the order written: the words a page of one language must not show in the other.
func Pairs(src fs.FS) ([]Pair, error) {
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return nil, fmt.Errorf("webforms: %w", err)
	}
	var out []Pair
	for _, e := range entries {
		if e.IsDir() || (path.Ext(e.Name()) != ".html" && path.Ext(e.Name()) != ".tmpl") {
			continue
		}
		b, err := fs.ReadFile(src, e.Name())
		if err != nil {
			return nil, fmt.Errorf("webforms: %w", err)
		}
		tree := parse.New(e.Name())
		tree.Mode = parse.SkipFuncCheck
		trees := map[string]*parse.Tree{}
		if _, err := tree.Parse(string(b), "", "", trees); err != nil {
			return nil, fmt.Errorf("webforms: %w", err)
		}
		for _, name := range sortedKeys(trees) {
			out = pairs(out, trees[name].Root)
		}
	}
	return out, nil
}

// pairs appends the t calls under n.
func pairs(out []Pair, n parse.Node) []Pair {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				out = pairs(out, c)
			}
		}
	case *parse.ActionNode:
		out = pairs(out, n.Pipe)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				out = pairs(out, c)
			}
		}
	case *parse.CommandNode:
		if len(n.Args) == 3 {
			id, isT := n.Args[0].(*parse.IdentifierNode)
			en, okEN := n.Args[1].(*parse.StringNode)
			fr, okFR := n.Args[2].(*parse.StringNode)
			if isT && id.Ident == "t" && okEN && okFR {
				out = append(out, Pair{en.Text, fr.Text})
			}
		}
		for _, a := range n.Args {
			out = pairs(out, a)
		}
	case *parse.IfNode:
		out = pairs(pairs(pairs(out, n.Pipe), n.List), n.ElseList)
	case *parse.RangeNode:
		out = pairs(pairs(pairs(out, n.Pipe), n.List), n.ElseList)
	case *parse.WithNode:
		out = pairs(pairs(pairs(out, n.Pipe), n.List), n.ElseList)
	case *parse.TemplateNode:
		out = pairs(out, n.Pipe)
	}
	return out
}

func sortedKeys(m map[string]*parse.Tree) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
