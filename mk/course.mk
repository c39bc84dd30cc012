# Course mode: the student handout, the proof that every graded check can
# fail, and the autograder's configuration. See docs/course.md.
HANDOUT ?= $(BUILD)/handout
override HANDOUT := $(abspath $(HANDOUT))

.PHONY: handout handout.tar.gz check-handout autograding

# The student tree: every exercise region replaced by a TODO and a stub.
handout:
	@scripts/handout.sh tree $(HANDOUT) $(LAB)

# The same as a tarball, unpacking to podlab/.
handout.tar.gz: handout
	@tar -C $(HANDOUT) --transform 's|^\.|podlab|' --sort=name --owner=0 --group=0 \
		-czf $(HANDOUT).tar.gz .
	@echo "handout: $(HANDOUT).tar.gz"

# Every exercise's checks fail on the handout, pass on the solution, and pass
# with that exercise alone filled in (make test runs it too).
check-handout: FORCE
	@PODLAB_BUILD=$(BUILD) scripts/check-handout.sh

# .github/classroom/autograding.json from tests/lab-*.bats.
autograding:
	@scripts/autograding.sh

# The root Makefile echoes each word of HELP_EXTRA on its own line, so a line
# with spaces travels to the shell in an exported variable.
define PODLAB_HELP_COURSE
make handout       the student tree in build/handout/ (HANDOUT=dir); make handout.tar.gz
  make check-handout prove every exercise's checks fail without it and pass with it alone
  make autograding   regenerate .github/classroom/autograding.json (GitHub Classroom)
endef
export PODLAB_HELP_COURSE
HELP_EXTRA += $${PODLAB_HELP_COURSE}
