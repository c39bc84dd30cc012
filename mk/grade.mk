# Grading, xv6 style: points per exercise and a total. Part of the student
# handout (unlike mk/course.mk).
#
#   make grade                     every lab, per exercise, then the total
#   make lab-N EXERCISE=ID         only exercise ID's checks (a Classroom test)
#   make grade PRISTINE=handout    restore tests/ and the grading scripts from
#                                  the handout as handed out, then grade
.PHONY: grade

# scripts/grade.sh reads them from its environment.
export EXERCISE PRISTINE

grade: $(addprefix build-lab-,$(LABS) 7)
	@PODLAB_BUILD=$(BUILD) scripts/grade.sh all

define PODLAB_HELP_GRADE
make grade         grade every lab: points per exercise, then the total (PRISTINE=dir restores the checks first)
endef
export PODLAB_HELP_GRADE
HELP_EXTRA += $${PODLAB_HELP_GRADE}
