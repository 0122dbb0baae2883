"""File names shared by the rules, the scripts, the report and the tests (one source of truth).

Standard library only: the Snakefile imports it before any job runs.
"""

# The training-split GWAS table in results/{disease}/gwas/. plink2 names its --glm output after
# the Firth mode (.glm.logistic.hybrid, .glm.firth or .glm.logistic); snpgen.gwas.run_gwas renames
# it to this one name whatever gwas.firth is.
GWAS_GLM = "gwas.glm.tsv"
