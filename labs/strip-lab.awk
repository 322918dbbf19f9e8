# strip-lab.awk - replaces the marked solution regions of the labs in `stub` (a space-separated
# list of lab numbers) with their stubs; other labs' regions stay as they are. A region:
#
#       /* LAB 3 BEGIN: what to write, in one line (it stays, as the TODO) */
#       ...the solution...
#       /* LAB 3 STUB: code that compiles and says "not implemented" */   (zero or more lines)
#       /* LAB 3 END */
#
# becomes the TODO comment and the stub lines, indented as the BEGIN line was. A marker out of
# place (END without BEGIN, BEGIN inside a region, a region left open) is an error naming the
# file and line, and the exit status is 1. Used by labs/handout.sh (docs/labs.md).
BEGIN {
    n = split(stub, list, " ")
    for (i = 1; i <= n; i++) stubbed[list[i]] = 1
    open = ""
    bad = 0
}
function fail(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    bad = 1
    exit 1
}
function marker(line, kind,    m) {
    # kind is BEGIN, STUB or END; returns the lab number or "" when the line is no such marker
    if (match(line, "/\\* LAB [0-9]+ " kind "[: ]")) {
        m = substr(line, RSTART + 7)
        sub(/ .*/, "", m)
        return m
    }
    return ""
}
{
    b = marker($0, "BEGIN"); s = marker($0, "STUB"); e = marker($0, "END")
    if (b != "") {
        if (open != "") fail("LAB " b " BEGIN inside the region of LAB " open " (line " open_line ")")
        open = b; open_line = FNR
        if (!(b in stubbed)) { print; next }
        indent = $0; sub(/[^ \t].*/, "", indent)
        todo = $0
        sub(/^.*BEGIN: */, "", todo); sub(/ *\*\/[ \t]*$/, "", todo)
        printf "%s/* LAB %s: TODO: %s */\n", indent, b, todo
        next
    }
    if (s != "") {
        if (s != open) fail("LAB " s " STUB outside its region")
        if (!(s in stubbed)) { print; next }
        code = $0
        sub(/^.*STUB: /, "", code); sub(/ *\*\/[ \t]*$/, "", code)
        print indent code
        next
    }
    if (e != "") {
        if (e != open) fail("LAB " e " END without its BEGIN")
        open = ""
        if (!(e in stubbed)) print
        next
    }
    if (open == "" || !(open in stubbed)) print
}
END {
    if (!bad && open != "") {
        printf "%s:%d: LAB %s BEGIN has no END\n", FILENAME, open_line, open > "/dev/stderr"
        exit 1
    }
}
