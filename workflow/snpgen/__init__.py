"""snpgen: phenotype-supervised synthetic genotype cohorts.

Genotype convention used throughout the package: an int8 matrix of shape
(individuals, variants) holding the count of the ALT allele (the allele in
column 5 of a .bim file written by plink2, i.e. PLINK's A1), 0/1/2, with -1
for a missing call.
"""

__version__ = "0.1.0"
