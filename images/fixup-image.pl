#!/usr/bin/perl
# fixup-image.pl: helper of make-image.sh that repairs what `mke2fs -d`
# (e2fsprogs 1.47.0) does not copy faithfully from the seed tree:
#   - atime/mtime: only whole seconds (low 32 bits, no nanoseconds and no
#     extra epoch bits, so post-2038 times would read back as 1901-1970);
#   - ctime: copied from the seed, i.e. the wall-clock time the seed was made;
#   - i_size of regular files with inline_data: a file that ends in a hole
#     (or in all-zero blocks) gets i_size = end of its last data block.
#
#   fixup-image.pl manifest SEED > MANIFEST
#       NUL-separated records "ATIME<TAB>MTIME<TAB>TYPE<TAB>SIZE<TAB>PATH"
#       read with find(1) (%A@ and %T@ print SEC.NSEC with SEC = tv_sec,
#       also for times before 1970).
#   fixup-image.pl ls MANIFEST > LS.CMD
#       debugfs commands `ls -p "/DIR"` for every directory of the seed.
#   fixup-image.pl sif MANIFEST LS.OUT > SIF.CMD
#       debugfs commands `sif <INO> {a,m,c}time_{lo,extra} N` setting atime
#       and mtime as in the seed and ctime := mtime, and `sif <INO> size N`
#       for regular files, then `ssv kbytes_written 0`; addressed by inode
#       number because debugfs path lookups are linear scans (33 s instead
#       of 0.3 s for big/).
use strict;
use warnings;

sub read_manifest {
	my ($file) = @_;
	open(my $fh, '<', $file) or die "$file: $!\n";
	local $/ = "\0";
	my @recs;
	while (my $r = <$fh>) {
		chomp $r;
		my ($a, $m, $type, $size, $path) = split /\t/, $r, 5;
		die "path unusable in debugfs: $path\n" if $path =~ /["\n]/;
		push @recs, [$a, $m, $type, $path, $size];
	}
	# find(1) lists in readdir order, which varies between two seed trees
	# even on the same host; debugfs must get its commands in a fixed order.
	return sort { $a->[3] cmp $b->[3] } @recs;
}

# enc("SEC.NSEC") -> (low 32 bits of SEC, (NSEC << 2) | epoch bits)
sub enc {
	my ($t) = @_;
	my ($s, $ns) = $t =~ /^(-?\d+)\.(\d{9})\d*$/ or die "bad time: $t\n";
	my $epoch = (($s - unpack('l', pack('l', $s))) >> 32) & 3;
	return ($s & 0xffffffff, ($ns << 2) | $epoch);
}

sub cmd_manifest {
	my ($seed) = @_;
	exec('find', $seed, '-printf', "%A@\t%T@\t%y\t%s\t%P\\0")
		or die "find: $!\n";
}

sub cmd_ls {
	for my $r (read_manifest($_[0])) {
		print "ls -p \"/$r->[3]\"\n" if $r->[2] eq 'd';
	}
}

# Parse `debugfs -f` output of cmd_ls: "debugfs: ls -p "/DIR"" headers,
# then "/INO/MODE/UID/GID/NAME/SIZE/" lines.
sub read_inodes {
	my ($file) = @_;
	open(my $fh, '<', $file) or die "$file: $!\n";
	my (%ino, $dir);
	$ino{''} = 2;
	while (my $l = <$fh>) {
		chomp $l;
		if ($l =~ /^debugfs: ls -p "\/(.*)"$/) {
			$dir = $1;
		} elsif ($l =~ m{^/(\d+)/\d+/\d+/\d+/(.*)/\d*/$}) {
			die "ls output before any header\n" unless defined $dir;
			next if $2 eq '.' || $2 eq '..';
			$ino{$dir eq '' ? $2 : "$dir/$2"} = $1;
		}
	}
	return %ino;
}

sub cmd_sif {
	my ($manifest, $lsout) = @_;
	my %ino = read_inodes($lsout);
	my %done;
	for my $r (read_manifest($manifest)) {
		my ($a, $m, $type, $path, $size) = @$r;
		my $i = $ino{$path} // die "not in image: /$path\n";
		next if $done{$i}++;
		for ([atime => $a], [mtime => $m], [ctime => $m]) {
			my ($lo, $extra) = enc($_->[1]);
			print "sif <$i> $_->[0]_lo $lo\nsif <$i> $_->[0]_extra $extra\n";
		}
		print "sif <$i> size $size\n" if $type eq 'f';
	}
	# Lifetime writes depend on the I/O pattern of mke2fs -d (e.g. the
	# SEEK_DATA/SEEK_HOLE chunks the seed's file system reports).  Once it
	# is 0, ext2fs_close() no longer adds to it.
	print "ssv kbytes_written 0\n";
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'manifest' && @ARGV == 1) {
	cmd_manifest(@ARGV);
} elsif ($cmd eq 'ls' && @ARGV == 1) {
	cmd_ls(@ARGV);
} elsif ($cmd eq 'sif' && @ARGV == 2) {
	cmd_sif(@ARGV);
} else {
	die "usage: fixup-image.pl manifest SEED | ls MANIFEST | sif MANIFEST LS.OUT\n";
}
