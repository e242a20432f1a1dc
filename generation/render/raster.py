"""Tile rasteriser for round cones: project, bin into screen tiles, z-buffer only the primitives near each tile.

Surface model (shared with reference.py, which evaluates it densely): a round cone projects to a 2D "capsule" whose
radius varies linearly from R_a = f r_a / z_a to R_b. For a pixel p, s = the parameter of the closest point on the
2D segment (clamped to [0, 1]), d = the distance to it, R(s) = R_a + s (R_b - R_a). The pixel is covered when
d < R(s); it sees the surface of the sphere centred at the segment point with radius r(s) (world), at depth
z(s) - r(s) sqrt(1 - d^2 / R(s)^2), normal ((p - c(s)) / R(s), -sqrt(1 - d^2 / R(s)^2)). This is exact for
spheres under orthographic projection and a close approximation at the distances a framed body is seen from.

Why tiles: a dense pixels x primitives evaluation spends ~95 % of its work on pairs that cannot overlap. Binning
each primitive's conservative footprint into ts x ts tiles and evaluating only (tile, primitive) pairs, flattened
into one (pairs, ts, ts) tensor, keeps every op a large vectorised pass with no padding. The z-test works on an
int32 key = depth bits with the primitive index in the low 6 bits (positive floats order like their bit
patterns), so one min yields both the nearest depth and which primitive it belongs to; pairs are laid out in
"layers" (see _layer_order) so that the min is a handful of contiguous elementwise minima, not a scatter.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from generation.render.scratch import Scratch, scratch_for

NEAR = 0.01  # metres; primitives reaching closer to the camera plane than this are dropped
MISS_DEPTH = 1.0e30  # finite so that the key bit tricks stay ordered (inf | bits would be NaN)
_INDEX_BITS = 6
MAX_PRIMITIVES = 1 << _INDEX_BITS
_MISS_KEY_LIMIT = 0x7000_0000  # > bits of any real depth (< 1e19 m), < bits of MISS_DEPTH

# Columns of the projected-primitive table: screen end a, segment ab, 1/|ab|^2; k = 1/|ab| (1 for a sphere),
# unit direction u = ab k; screen radius at a and its change along the segment (also times k); depth at a and its
# change; world radius at a and its change.
AX, AY, ABX, ABY, INV_L2, KS, UX, UY, RA, DR, RAK, DRK, ZA, DZ, WRA, WDR = range(16)
NUM_FIELDS = 16


@dataclass(frozen=True)
class Projected:
    """Per (frame, primitive) screen-space parameters: table (N * P, NUM_FIELDS), valid (N, P)."""

    table: torch.Tensor
    valid: torch.Tensor

    @property
    def num_frames(self) -> int:
        return int(self.valid.shape[0])

    @property
    def num_prims(self) -> int:
        return int(self.valid.shape[1])


@dataclass(frozen=True)
class Fragments:
    """Covered pixels of a chunk of frames: row (K,) into Projected.table (frame * P + primitive), x and y (K,)
    pixel centres (float), pixel (K,) flat index into the chunk's (N, H, W) image."""

    row: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    pixel: torch.Tensor


def project(a: torch.Tensor, b: torch.Tensor, ra: torch.Tensor, rb: torch.Tensor, focal: torch.Tensor,
            size: tuple[int, int]) -> Projected:
    """Camera-frame round cones a, b (N, P, 3), ra, rb (N, P); focal (N,) pixels -> screen parameters."""
    height, width = size
    az, bz = a[..., 2], b[..., 2]
    valid = (az - ra > NEAR) & (bz - rb > NEAR)
    az = torch.where(valid, az, torch.ones_like(az))
    bz = torch.where(valid, bz, torch.ones_like(bz))
    f = focal[:, None]
    ax = f * a[..., 0] / az + width / 2
    ay = f * a[..., 1] / az + height / 2
    bx = f * b[..., 0] / bz + width / 2
    by = f * b[..., 1] / bz + height / 2
    big_ra = torch.where(valid, f * ra / az, torch.zeros_like(ra))
    big_rb = torch.where(valid, f * rb / bz, torch.zeros_like(rb))
    abx, aby = bx - ax, by - ay
    l2 = abx * abx + aby * aby
    # A sphere (or a cone seen end-on) has no segment: s = 0 everywhere.
    segment = l2 > 1e-6
    inv_l2 = torch.where(segment, 1.0 / l2.clamp_min(1e-6), torch.zeros_like(l2))
    ks = torch.where(segment, torch.rsqrt(l2.clamp_min(1e-6)), torch.ones_like(l2))
    ux, uy = torch.where(segment, abx * ks, 0.0), torch.where(segment, aby * ks, 0.0)
    big_dr = big_rb - big_ra
    cols = [ax, ay, abx, aby, inv_l2, ks, ux, uy, big_ra, big_dr, big_ra * ks, big_dr * ks, az, bz - az, ra, rb - ra]
    table = torch.stack(cols, dim=-1).reshape(-1, NUM_FIELDS)
    return Projected(table=table.contiguous(), valid=valid)


def bin_tiles(proj: Projected, size: tuple[int, int], tile: int) -> torch.Tensor:
    """(M, 3) int64 (frame, tile, primitive) triples whose footprint may touch the tile, sorted by frame then tile."""
    height, width = size
    tiles_y, tiles_x = -(-height // tile), -(-width // tile)
    t = proj.table.view(proj.num_frames, 1, proj.num_prims, NUM_FIELDS)
    dev, dt = t.device, t.dtype
    ty, tx = torch.meshgrid(torch.arange(tiles_y, device=dev, dtype=dt), torch.arange(tiles_x, device=dev, dtype=dt),
                            indexing="ij")
    cx = ((tx.reshape(-1) + 0.5) * tile)[None, :, None]
    cy = ((ty.reshape(-1) + 0.5) * tile)[None, :, None]
    px, py = cx - t[..., AX], cy - t[..., AY]
    s = ((px * t[..., ABX] + py * t[..., ABY]) * t[..., INV_L2]).clamp_(0.0, 1.0)
    dx = px - s * t[..., ABX]
    dy = py - s * t[..., ABY]
    # Conservative: the largest radius of the cone plus the tile's half diagonal.
    reach = torch.maximum(t[..., RA], t[..., RA] + t[..., DR]) + tile * 0.7072
    mask = (dx * dx + dy * dy <= reach * reach) & proj.valid[:, None, :]
    return torch.nonzero(mask)


def rasterize(proj: Projected, size: tuple[int, int], tile: int = 16, scratch: Scratch | None = None) -> Fragments:
    """Nearest primitive per covered pixel, for all N frames of proj. The result does not alias scratch."""
    height, width = size
    tiles_x = -(-width // tile)
    tiles_per_frame = tiles_x * -(-height // tile)
    pairs = bin_tiles(proj, size, tile)
    dev = proj.table.device
    if pairs.shape[0] == 0:
        empty = torch.zeros(0, dtype=torch.long, device=dev)
        return Fragments(empty, empty.float(), empty.float(), empty)
    pairs, group_key, layer_sizes = _layer_order(pairs, tiles_per_frame)
    frame, tile_id, prim = pairs.unbind(1)
    scratch = scratch or scratch_for(dev)
    zbuf = _pair_keys(proj.table[frame * proj.num_prims + prim], prim, tile_id, tiles_x, tile, layer_sizes, scratch)

    # Decode with shifts and masks on the K covered pixels; divisions happen once per group, not per pixel.
    g_frame, g_tile = group_key // tiles_per_frame, group_key % tiles_per_frame
    g_x0, g_y0 = (g_tile % tiles_x) * tile, (g_tile // tiles_x) * tile
    local = torch.arange(tile * tile, device=dev)
    l_x, l_y = local % tile, local // tile
    flat = zbuf.view(-1)
    hit = torch.nonzero(flat < _MISS_KEY_LIMIT).squeeze(1)
    shift = (tile * tile).bit_length() - 1
    g, pix = hit >> shift, hit & (tile * tile - 1)
    row = (g_frame * proj.num_prims)[g] + (flat[hit] & (MAX_PRIMITIVES - 1)).long()
    x = g_x0[g] + l_x[pix]
    y = g_y0[g] + l_y[pix]
    pixel = ((g_frame * height + g_y0) * width + g_x0)[g] + (l_y * width + l_x)[pix]
    if height % tile or width % tile:
        keep = (x < width) & (y < height)
        row, x, y, pixel = row[keep], x[keep], y[keep], pixel[keep]
    dt = proj.table.dtype
    return Fragments(row=row, x=x.to(dt).add_(0.5), y=y.to(dt).add_(0.5), pixel=pixel)


def _layer_order(pairs: torch.Tensor, tiles_per_frame: int) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """Reorder pairs so that the z-test is a few contiguous elementwise minima instead of a scatter.

    Groups (= tiles of a frame that any primitive touches) are ranked by pair count, largest first. Layer k holds
    the k-th pair of every group that has more than k pairs: those are the first n_k ranks, so layer k lines up
    row for row with the first n_k rows of the z-buffer. Returns the reordered pairs, the (frame * tiles + tile)
    key of each z-buffer row, and n_k per layer (one host sync).
    """
    key = pairs[:, 0] * tiles_per_frame + pairs[:, 1]  # sorted: nonzero() walks (frame, tile, primitive)
    starts = torch.ones_like(key, dtype=torch.bool)
    starts[1:] = key[1:] != key[:-1]
    group = torch.cumsum(starts, 0) - 1
    first = torch.nonzero(starts).squeeze(1)
    counts = torch.diff(first, append=first.new_tensor([key.shape[0]]))
    by_count = torch.argsort(counts, descending=True, stable=True)  # rank -> group
    rank = torch.empty_like(by_count)
    rank[by_count] = torch.arange(by_count.shape[0], device=key.device)
    slot = torch.arange(key.shape[0], device=key.device) - first[group]
    layer_sizes = torch.bincount(counts - 1).flip(0).cumsum(0).flip(0)  # n_k = groups with more than k pairs
    offsets = torch.cumsum(layer_sizes, 0) - layer_sizes
    position = offsets[slot] + rank[group]
    order = torch.empty_like(position)
    order[position] = torch.arange(position.shape[0], device=key.device)
    return pairs[order], key[starts][by_count], layer_sizes.tolist()


def _pair_keys(p: torch.Tensor, prim: torch.Tensor, tile_id: torch.Tensor, tiles_x: int, tile: int,
               layer_sizes: list[int], scratch: Scratch) -> torch.Tensor:
    """Evaluate every (tile, primitive) pair on the tile's ts x ts pixels; min-reduce into (groups, ts*ts) keys.

    Lengths are measured in units of the segment's screen length (k = 1 / |ab|, or 1 for a sphere), so the
    segment has unit length and |p - a - s ab|^2 = |p - a|^2 + s (s - 2 s_raw) needs no per-pair factor.
    Every big op is in place or reuses a dead buffer, broadcasts only (M, 1, 1) operands (fused broadcast ops
    such as addcmul are 3-5x slower here), and there is no torch.sqrt: it takes a slow path for zero, negative
    and subnormal inputs (20x slower on this CPU), so sqrt(e) is computed as e * rsqrt(e).
    """
    m = p.shape[0]
    dt, dev = p.dtype, p.device
    local = torch.arange(tile, device=dev, dtype=dt) + 0.5
    k = p[:, KS:KS + 1]
    # a relative to the tile's origin, so every pair shares the same local pixel grid.
    dx = (local[None, :] - (p[:, AX] - (tile_id % tiles_x).to(dt) * tile)[:, None]) * k  # (M, ts) per column
    dy = (local[None, :] - (p[:, AY] - (tile_id // tiles_x).to(dt) * tile)[:, None]) * k  # (M, ts) per row
    shape = (m, tile, tile)

    def buf(name: str, dtype: torch.dtype = dt) -> torch.Tensor:
        return scratch.take(name, shape, dtype, dev)

    # s_raw and |p - a|^2 are separable in rows and columns: outer sums instead of per-pixel dot products.
    s_raw = torch.add((dy * p[:, UY:UY + 1])[:, :, None], (dx * p[:, UX:UX + 1])[:, None, :], out=buf("s_raw"))
    d2 = torch.add((dy * dy)[:, :, None], (dx * dx)[:, None, :], out=buf("d2"))

    def col(i: int) -> torch.Tensor:
        return p[:, i].reshape(m, 1, 1)

    s = torch.clamp(s_raw, 0.0, 1.0, out=buf("s"))
    d2.add_(torch.add(s, s_raw, alpha=-2.0, out=s_raw).mul_(s))  # squared distance to the segment, in k units
    r2 = torch.mul(s, col(DRK), out=buf("r2")).add_(col(RAK)).square_()  # screen radius R(s)^2, same units
    e = torch.sub(r2, d2, out=d2).div_(r2)  # 1 - d^2 / R^2: > 0 inside the footprint
    h = torch.rsqrt(e, out=r2).mul_(e)  # sqrt(e); NaN outside (e < 0) or on a degenerate primitive
    depth = torch.mul(s, col(DZ), out=s_raw).add_(col(ZA))
    depth.sub_(s.mul_(col(WDR)).add_(col(WRA)).mul_(h))  # z(s) - r(s) h
    depth.nan_to_num_(nan=MISS_DEPTH)
    key = depth.view(torch.int32)
    key.bitwise_and_(~(MAX_PRIMITIVES - 1)).bitwise_or_(prim.to(torch.int32).view(m, 1, 1))
    key = key.view(m, tile * tile)
    zbuf = scratch.take("zbuf", (layer_sizes[0], tile * tile), torch.int32, dev).copy_(key[: layer_sizes[0]])
    offset = layer_sizes[0]
    for n in layer_sizes[1:]:
        torch.minimum(zbuf[:n], key[offset:offset + n], out=zbuf[:n])
        offset += n
    return zbuf
