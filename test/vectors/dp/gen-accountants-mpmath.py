"""Known answers for privagg/dp accountants, computed independently at 40 digits with mpmath.

Run: python3 test/vectors/dp/gen-accountants-mpmath.py > test/vectors/dp/accountants-mpmath.json
(mpmath 1.3). Each quantity is computed from its mathematical definition, not from any library's
code: RDP of the sampled Gaussian by numerical integration of A_alpha (as dp_accounting's own
test `_compute_a_mp` does), Gaussian delta from the normal cdf (Balle-Wang Theorem 8), the
analytic Gaussian sigma by root finding on it, the zCDP->(eps, delta) bound of CKS20 Prop. 12 by
minimising over alpha, and the discrete Gaussian's delta (CKS20 Theorem 7) by exact sums.
"""
import json
import mpmath as mp

mp.mp.dps = 40


def rdp_sgm(q, sigma, alpha):
    mu0 = lambda z: mp.npdf(z, 0, sigma)
    f = lambda z: mu0(z) * ((1 - q) + q * mp.exp((2 * z - 1) / (2 * sigma**2))) ** alpha
    a = mp.quad(f, [-mp.inf, -10 * sigma, 0, 0.5, 1, 10 * sigma + alpha / sigma**2, mp.inf], maxdegree=12)
    return mp.log(a) / (alpha - 1)


def gauss_delta(sigma, eps):
    a = 1 / (2 * mp.mpf(sigma))
    b = eps * mp.mpf(sigma)
    return mp.ncdf(a - b) - mp.exp(eps) * mp.ncdf(-a - b)


def analytic_sigma(eps, delta):
    lo, hi = mp.mpf('1e-3'), mp.mpf(1e4)
    for _ in range(200):  # delta(sigma) decreases in sigma
        mid = mp.sqrt(lo * hi)
        if gauss_delta(mid, eps) <= delta:
            hi = mid
        else:
            lo = mid
    return hi


def cdp_delta(rho, eps):
    rho, eps = mp.mpf(rho), mp.mpf(eps)
    g = lambda a: mp.exp((a - 1) * (a * rho - eps) + a * mp.log1p(-1 / a)) / (a - 1)
    deriv = lambda a: (2 * a - 1) * rho - eps + mp.log1p(-1 / a)
    lo, hi = mp.mpf('1.000001'), (eps + 1) / (2 * rho) + 2
    a = mp.findroot(deriv, (lo, hi), solver='bisect') if deriv(lo) < 0 else lo
    return min(g(a), mp.mpf(1))


def dg_delta(sigma2, eps, sens):
    sigma2 = mp.mpf(sigma2)
    w = lambda x: mp.exp(-mp.mpf(x) ** 2 / (2 * sigma2))
    norm = 1 + 2 * mp.nsum(w, [1, mp.inf])
    lo = int(mp.floor(eps * sigma2 / sens - mp.mpf(sens) / 2)) + 1
    hi = int(mp.floor(eps * sigma2 / sens + mp.mpf(sens) / 2)) + 1
    mid = sum(w(x) for x in range(lo, hi))
    tail = mp.nsum(w, [hi, mp.inf])
    return (mid - mp.expm1(eps) * tail) / norm


out = {
    "source": "computed with mpmath 1.3 at 40 digits by test/vectors/dp/gen-accountants-mpmath.py from the definitions (MTZ19 A_alpha integral, Balle-Wang 2018 Thm 8, CKS20 Prop 12 and Thm 7)",
    "rdpSubsampledGaussian": [],
    "gaussianDelta": [],
    "analyticGaussianSigma": [],
    "zcdpToDelta": [],
    "discreteGaussianDelta": [],
}
for q, sigma, alpha in [(0.01, 2.5, 1.5), (0.01, 2.5, 2.5), (0.01, 2.5, 5), (0.01, 2.5, 50),
                        (0.04, 1.5, 3.9), (0.04, 1.5, 12), (0.001, 1.0, 2), (0.1, 0.8, 1.1),
                        (0.1, 0.8, 7.5), (0.3, 4.0, 32), (1e-4, 1.0, 1.5), (0.5, 1.2, 10.3)]:
    out["rdpSubsampledGaussian"].append({"samplingRate": q, "noiseMultiplier": sigma, "order": alpha,
                                         "rdp": float(rdp_sgm(mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)))})
for sigma, eps in [(1.0, 0.5), (3.730631634816, 1.0), (0.5, 2.0), (10.0, 0.1), (2.0, 5.0)]:
    out["gaussianDelta"].append({"sigma": sigma, "epsilon": eps, "delta": float(gauss_delta(sigma, eps))})
for eps, delta in [(1.0, 1e-5), (0.1, 1e-6), (4.0, 1e-9), (0.5, 0.01), (10.0, 1e-10)]:
    out["analyticGaussianSigma"].append({"epsilon": eps, "delta": delta, "sigma": float(analytic_sigma(eps, delta))})
for rho, eps in [(0.025, 1.0), (0.5, 3.0), (0.1, 0.5), (2.0, 10.0), (0.01, 2.0)]:
    out["zcdpToDelta"].append({"rho": rho, "epsilon": eps, "delta": float(cdp_delta(rho, eps))})
for sigma2, eps, sens in [(1.0, 1.0, 1), (4.0, 0.5, 1), (25.0, 1.0, 3), (0.5, 2.0, 1), (100.0, 0.2, 2)]:
    out["discreteGaussianDelta"].append({"sigma2": sigma2, "epsilon": eps, "l2Sensitivity": sens,
                                         "delta": float(dg_delta(sigma2, eps, sens))})
print(json.dumps(out, indent=2))
