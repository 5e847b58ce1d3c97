/// The scale searches behind GGML's reference K-quant quantizers, kept in the same
/// floating-point operation order so the chosen codes (and so the bytes) are identical.

/// Super-block size of the K-quants (`QK_K`).
public let kQuantBlockSize = 256

/// Fits `x[i] ≈ scale · L[i] − min` with `L[i]` in 0…nmax (`make_qkx2_quants`): starts from
/// the min/max fit, then tries `nstep + 1` scales around it, solving the weighted least
/// squares for scale and min at each and keeping the lowest weighted error (absolute if
/// `useMAD`, squared otherwise). The returned min is positive (the amount subtracted).
func fitScaleAndMin(
    _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
    _ L: UnsafeMutablePointer<UInt8>, _ laux: UnsafeMutablePointer<UInt8>,
    rmin: Float, rdelta: Float, nstep: Int, useMAD: Bool
) -> (scale: Float, min: Float) {
    var lo = x[0]
    var hi = x[0]
    var sumW = weights[0]
    var sumX = sumW * x[0]
    for i in 1..<n {
        if x[i] < lo { lo = x[i] }
        if x[i] > hi { hi = x[i] }
        let w = weights[i]
        sumW += w
        sumX += w * x[i]
    }
    if lo > 0 { lo = 0 }
    if hi == lo {
        for i in 0..<n { L[i] = 0 }
        return (0, -lo)
    }
    let fmax = Float(nmax)
    var iscale = fmax / (hi - lo)
    var scale = 1 / iscale
    var bestError: Float = 0
    for i in 0..<n {
        let l = nearestInt(iscale * (x[i] - lo))
        L[i] = UInt8(max(0, min(Int32(nmax), l)))
        var diff = scale * Float(L[i]) + lo - x[i]
        diff = useMAD ? abs(diff) : diff * diff
        bestError += weights[i] * diff
    }
    if nstep < 1 { return (scale, -lo) }
    for step in 0...nstep {
        iscale = (rmin + rdelta * Float(step) + fmax) / (hi - lo)
        var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
        for i in 0..<n {
            let l = Float(max(0, min(Int32(nmax), nearestInt(iscale * (x[i] - lo)))))
            laux[i] = UInt8(l)
            let w = weights[i]
            sumL += w * l
            sumL2 += w * l * l
            sumXL += w * l * x[i]
        }
        let D = sumW * sumL2 - sumL * sumL
        if D > 0 {
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                var diff = thisScale * Float(laux[i]) + thisMin - x[i]
                diff = useMAD ? abs(diff) : diff * diff
                error += weights[i] * diff
            }
            if error < bestError {
                for i in 0..<n { L[i] = laux[i] }
                bestError = error
                scale = thisScale
                lo = thisMin
            }
        }
    }
    return (scale, -lo)
}

/// Fits `x[i] ≈ scale · (L[i] − nmax)` with `L[i]` in 0…2·nmax−1, weighting by `x[i]²`
/// (`make_qx_quants` with `rmse_type = 1` and no importance weights): the scale that maps the
/// largest magnitude to −nmax, then 18 nearby scales, keeping the best least-squares fit.
func fitSymmetricScale(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
    let (max, amax) = largestMagnitude(n, x)
    if amax < groupMaxEpsilon {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let lower = Int32(-nmax), upper = Int32(nmax - 1)
    var iscale = Float(-nmax) / max
    var sumLX: Float = 0
    var sumL2: Float = 0
    for i in 0..<n {
        let l = Swift.max(lower, Swift.min(upper, nearestInt(iscale * x[i])))
        L[i] = Int8(l + Int32(nmax))
        let w = x[i] * x[i]
        sumLX += w * x[i] * Float(l)
        sumL2 += w * Float(l) * Float(l)
    }
    var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
    var best = scale * sumLX
    for step in -9...9 where step != 0 {
        iscale = -(Float(nmax) + 0.1 * Float(step)) / max
        sumLX = 0
        sumL2 = 0
        for i in 0..<n {
            let l = Float(Swift.max(lower, Swift.min(upper, nearestInt(iscale * x[i]))))
            let w = x[i] * x[i]
            sumLX += w * x[i] * l
            sumL2 += w * l * l
        }
        if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
            for i in 0..<n {
                L[i] = Int8(Swift.max(lower, Swift.min(upper, nearestInt(iscale * x[i]))) + Int32(nmax))
            }
            scale = sumLX / sumL2
            best = scale * sumLX
        }
    }
    return scale
}

/// Unpacks the 6-bit scale and min of sub-block `j` (0…7) from the 12 packed bytes of a
/// `Q4_K`/`Q5_K` block (`get_scale_min_k4`).
@inline(__always)
func scaleAndMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
    if j < 4 {
        return (q.byte(at: j) & 63, q.byte(at: j + 4) & 63)
    }
    let scale = (q.byte(at: j + 4) & 0x0F) | ((q.byte(at: j - 4) >> 6) << 4)
    let min = (q.byte(at: j + 4) >> 4) | ((q.byte(at: j) >> 6) << 4)
    return (scale, min)
}

/// Packs eight 6-bit scales and mins into 12 bytes, the inverse of `scaleAndMinK4`.
func packScalesAndMinsK4(_ scales: [UInt8], _ mins: [UInt8], into q: UnsafeMutableRawPointer) {
    for i in 0..<12 { q.storeByte(0, at: i) }
    for j in 0..<8 {
        let ls = scales[j], lm = mins[j]
        if j < 4 {
            q.storeByte(ls, at: j)
            q.storeByte(lm, at: j + 4)
        } else {
            q.storeByte((ls & 0x0F) | ((lm & 0x0F) << 4), at: j + 4)
            q.storeByte(UnsafeRawPointer(q).byte(at: j - 4) | ((ls >> 4) << 6), at: j - 4)
            q.storeByte(UnsafeRawPointer(q).byte(at: j) | ((lm >> 4) << 6), at: j)
        }
    }
}

/// The element of largest magnitude (the first, on ties) and that magnitude.
@inline(__always)
func largestMagnitude(_ n: Int, _ x: UnsafePointer<Float>) -> (value: Float, magnitude: Float) {
    var value: Float = 0, magnitude: Float = 0
    for i in 0..<n {
        let ax = abs(x[i])
        if ax > magnitude { magnitude = ax; value = x[i] }
    }
    return (value, magnitude)
}

/// `make_q3_quants` with `do_rmse`: the scale mapping the largest magnitude to −nmax,
/// then up to five passes that move single codes while the weighted fit (weights x²)
/// improves. Codes are stored offset by `nmax`.
func fitQ3Scale(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
    let (maxValue, amax) = largestMagnitude(n, x)
    if amax < groupMaxEpsilon {
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let lower = Int32(-nmax), upper = Int32(nmax - 1)
    let iscale = Float(-nmax) / maxValue
    var sumLX: Float = 0, sumL2: Float = 0
    for i in 0..<n {
        let l = max(lower, min(upper, nearestInt(iscale * x[i])))
        L[i] = Int8(l)
        let w = x[i] * x[i]
        sumLX += w * x[i] * Float(l)
        sumL2 += w * Float(l) * Float(l)
    }
    for _ in 0..<5 {
        var changed = 0
        for i in 0..<n {
            let w = x[i] * x[i]
            var slx = sumLX - w * x[i] * Float(L[i])
            if slx > 0 {
                var sl2 = sumL2 - w * Float(L[i]) * Float(L[i])
                let newL = max(lower, min(upper, nearestInt(x[i] * sl2 / slx)))
                if newL != Int32(L[i]) {
                    slx += w * x[i] * Float(newL)
                    sl2 += w * Float(newL) * Float(newL)
                    if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
                        L[i] = Int8(newL)
                        sumLX = slx
                        sumL2 = sl2
                        changed += 1
                    }
                }
            }
        }
        if changed == 0 { break }
    }
    for i in 0..<n { L[i] += Int8(nmax) }
    return sumL2 > 0 ? sumLX / sumL2 : 0
}
