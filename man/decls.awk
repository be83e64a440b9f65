# SPDX-License-Identifier: MIT
# decls.awk: prints C function declarations, one per line, normalized
# (comments, fonts and escapes removed, blanks collapsed, no trailing ";"),
# so that a man page's SYNOPSIS can be compared with the headers.
#
#   awk -v mode=man -f decls.awk page.3       the SYNOPSIS of a man(7) page
#   awk -v mode=header -f decls.awk h.h ...   every OT_API declaration
#
# Used by man/mklinks.sh (which functions a page documents) and by
# tests/doc/test_man.sh (that each page declares them as the header does).

# Collapses blanks; no blank just inside parentheses or before a comma.
function normalize(s)
{
	gsub(/[ \t\n]+/, " ", s)
	gsub(/\( /, "(", s)
	gsub(/ \)/, ")", s)
	gsub(/ ,/, ",", s)
	sub(/^ /, "", s)
	sub(/ $/, "", s)
	return s
}

# Removes /* ... */ comments.
function uncomment(s,    i, j)
{
	while ((i = index(s, "/*")) > 0) {
		j = index(substr(s, i + 2), "*/")
		if (j == 0)
			return substr(s, 1, i - 1)
		s = substr(s, 1, i - 1) " " substr(s, i + j + 3)
	}
	return s
}

# The text roff prints for the escapes a SYNOPSIS uses.
function unescape(s)
{
	gsub(/\\f[BIRP]/, "", s)
	gsub(/\\-/, "-", s)
	gsub(/\\\(aq/, "'", s)
	gsub(/\\\(dq/, "\"", s)
	gsub(/\\&/, "", s)
	gsub(/\\\|/, "", s)
	gsub(/\\e/, "\\", s)
	return s
}

# The text of a font macro line (.B, .I, .BI, .BR, ...): arguments split
# at blanks outside double quotes; .B and .I join them with blanks, the
# alternating macros with nothing.
function macro_text(line,    name, rest, n, i, c, arg, inq, had, args, sep, out)
{
	name = line
	sub(/[ \t].*/, "", name)
	rest = substr(line, length(name) + 1)
	sep = (name == ".B" || name == ".I") ? " " : ""
	n = 0
	arg = ""
	inq = 0
	had = 0
	for (i = 1; i <= length(rest); i++) {
		c = substr(rest, i, 1)
		if (inq) {
			if (c == "\"" && substr(rest, i + 1, 1) == "\"") {
				arg = arg "\""
				i++
			} else if (c == "\"") {
				inq = 0
			} else {
				arg = arg c
			}
		} else if (c == "\"") {
			inq = 1
			had = 1
		} else if (c == " " || c == "\t") {
			if (arg != "" || had)
				args[++n] = arg
			arg = ""
			had = 0
		} else {
			arg = arg c
		}
	}
	if (arg != "" || had)
		args[++n] = arg
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? sep : "") args[i]
	return out
}

# Prints each complete declaration in buf; keeps an unfinished one.
function emit(    i, d)
{
	buf = uncomment(buf)
	while ((i = index(buf, ";")) > 0) {
		d = normalize(substr(buf, 1, i - 1))
		buf = substr(buf, i + 1)
		sub(/^OT_API /, "", d)
		# a function attribute (format checking) is not the page's business
		sub(/ __attribute__\(\(.*\)\)$/, "", d)
		if (d ~ /^[A-Za-z_][A-Za-z0-9_ *]*[ *]ot_[a-z0-9_]+\(/)
			print d
	}
}

function add(text)
{
	if (text ~ /^[ \t]*#/) {	# #include, #define: not C declarations
		buf = ""
		return
	}
	buf = buf " " text
	if (index(text, ";"))
		emit()
}

mode == "man" && /^\.SH/ {
	insyn = ($0 ~ /^\.SH[ \t]+"?SYNOPSIS"?[ \t]*$/)
	buf = ""
	next
}
mode == "man" && !insyn { next }
mode == "man" && /^\.(B|I|BI|IB|BR|RB|IR|RI)([ \t]|$)/ {
	add(unescape(macro_text($0)))
	next
}
mode == "man" && /^[.']/ {	# .PP, .nf, comments...: a declaration ends
	buf = ""
	next
}
mode == "man" { add(unescape($0)); next }

# Headers: a declaration starts at a line beginning with OT_API and ends
# at its ";".
mode == "header" && !inapi && /^OT_API[ \t]/ { inapi = 1; buf = "" }
mode == "header" && inapi {
	buf = buf " " $0
	if (index($0, ";")) {
		emit()
		buf = ""
		inapi = 0
	}
}
