# fish completion for gt and the gt-* commands.
#
# Enable: copy to ~/.config/fish/completions/ (make install puts it in
# share/fish/vendor_completions.d).  Options come from each command's
# --completion-helper.

function __gt_commands
    for c in (complete -C gt- | string match -r '^gt-\S+')
        echo $c
    end | sort -u
end

function __gt_options --argument-names cmd
    for line in ($cmd --completion-helper 2>/dev/null)
        set -l f (string split \t -- $line)
        if test -n "$f[1]"
            printf '%s\t%s\n' $f[1] $f[4]
        end
    end
end

function __gt_words
    set -l tokens (commandline -opc)
    if test (count $tokens) -eq 1
        echo help
        __gt_commands | string replace -r '^gt-' '' | string replace -r -- '-.*' '' | sort -u
    else if test (count $tokens) -eq 2
        __gt_commands | string replace -r -f "^gt-$tokens[2]-" ''
    end
end

complete -c gt -f -a '(__gt_words)'
for c in (__gt_commands)
    complete -c $c -f -a "(__gt_options $c)"
    complete -c $c -f -a '(gt-bead-list -n 200 2>/dev/null | cut -f1)'
end
