"""`microgrid.nn`'s public contract, one claim a test, for
the behaviours a mutation run found unpinned: seeds (numpy integers, Layer's and Neuron's
``seed=``), reprs, and the text of every refusal.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from microgrid import MLP, Const, Layer, Neuron, Value


# ------------------------------------------------------------------ seeds
def test_a_numpy_integer_seed_gives_the_same_network_as_the_int():
    assert MLP(2, [3, 1], seed=np.int64(7)).weights() == MLP(2, [3, 1], seed=7).weights()


def test_a_layers_seed_makes_its_weights_reproducible():
    first, again = Layer(3, 2, seed=4), Layer(3, 2, seed=4)
    assert [p.data for p in first.parameters()] == [p.data for p in again.parameters()]


def test_a_layers_seed_is_used_different_seeds_give_different_weights():
    a, b = Layer(3, 2, seed=4), Layer(3, 2, seed=5)
    assert [p.data for p in a.parameters()] != [p.data for p in b.parameters()]


def test_a_layers_seed_is_the_same_as_a_random_generator_seeded_with_it():
    a, b = Layer(3, 2, seed=4), Layer(3, 2, rng=random.Random(4))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_a_neurons_seed_makes_its_weights_reproducible():
    assert [w.data for w in Neuron(4, seed=9).w] == [w.data for w in Neuron(4, seed=9).w]


def test_weights_start_within_one_over_root_nin_and_biases_at_zero():
    mlp = MLP(4, [8, 3], seed=1)
    assert all(abs(w) <= 0.5 for w in (w for row in mlp.weights()[0] for w in row))
    assert all(b == 0.0 for layer in mlp.biases() for b in layer)


def test_weights_start_spread_over_both_signs():
    ws = [w for row in MLP(4, [8, 3], seed=1).weights()[0] for w in row]
    assert min(ws) < -0.1 and max(ws) > 0.1


def test_a_neurons_parameters_default_to_layer_2_neuron_1_labels():
    n = Neuron(2, seed=0)
    assert [p.label for p in n.parameters()] == ["w^2_{11}", "w^2_{12}", "b^2_1"]


def test_a_layers_parameters_default_to_layer_2_labels():
    layer = Layer(1, 2, seed=0)
    assert [p.label for p in layer.parameters()] == ["w^2_{11}", "b^2_1", "w^2_{21}", "b^2_2"]


def test_an_mlps_layers_are_numbered_from_2():
    mlp = MLP(1, [1, 1], seed=0)
    assert [p.label for p in mlp.parameters()] == ["w^2_{11}", "b^2_1", "w^3_{11}", "b^3_1"]


def test_seed_and_rng_together_are_refused():
    with pytest.raises(ValueError, match="give either seed= or rng=, not both"):
        MLP(2, [1], seed=1, rng=random.Random(1))


def test_an_rng_that_is_not_a_random_generator_is_refused():
    with pytest.raises(TypeError, match="rng must be a random.Random, got int"):
        Layer(2, 1, rng=3)


# ------------------------------------------------------------------ reprs
def test_an_mlps_repr_gives_its_sizes_and_activations():
    assert repr(MLP(2, [3, 1], seed=0)) == \
        "MLP(2-3-1, activation='sigmoid', output_activation='sigmoid')"


def test_an_mlps_repr_gives_its_own_output_activation():
    assert repr(MLP(3, [1], "relu", "linear", seed=0)) == \
        "MLP(3-1, activation='relu', output_activation='linear')"


def test_a_layers_repr_gives_its_sizes_and_activation():
    assert repr(Layer(3, 2, "tanh", seed=0)) == "Layer(3, 2, activation='tanh')"


def test_a_neurons_repr_gives_its_inputs_and_activation():
    assert repr(Neuron(3, "relu", seed=0)) == "Neuron(3, activation='relu')"


# ------------------------------------------------------------------ labels
def test_the_inputs_of_an_mlp_are_labelled_a1_k():
    t = MLP(2, [1], seed=0).trace([0.5, -0.5])
    assert [v.label for v in t.x] == ["a^1_1", "a^1_2"]


def test_a_linear_output_is_the_z_node_itself_labelled_z():
    t = MLP(2, [1], "sigmoid", "linear", seed=0).trace([0.5, -0.5])
    assert t.a[0][0] is t.z[0][0] and t.z[0][0].label == "z^2_1"


# ------------------------------------------------------------------ refusals, each named
@pytest.mark.parametrize("nin", [0, True, 2.5])
def test_a_bad_input_size_is_refused_naming_it(nin):
    with pytest.raises(ValueError, match=rf"MLP: nin must be a positive int, got {nin!r}"):
        MLP(nin, [1])


def test_a_neuron_of_no_inputs_is_refused_naming_its_nin():
    with pytest.raises(ValueError, match=r"^Neuron: nin must be a positive int, got 0$"):
        Neuron(0)


def test_a_layer_of_no_inputs_is_refused_naming_its_nin():
    with pytest.raises(ValueError, match=r"^Layer: nin must be a positive int, got 0$"):
        Layer(0, 2)


def test_a_layer_of_no_neurons_is_refused():
    with pytest.raises(ValueError, match=r"Layer: nout must be a positive int, got 0"):
        Layer(2, 0)


def test_nouts_that_is_not_a_list_is_refused():
    with pytest.raises(ValueError, match=r"MLP: nouts must be a list of layer sizes, e.g. "
                                         r"\[16, 1\]; got 3"):
        MLP(2, 3)


def test_empty_nouts_is_refused():
    with pytest.raises(ValueError, match=r"MLP: nouts must list at least one layer size, got \[\]"):
        MLP(2, [])


def test_a_bad_layer_size_in_nouts_is_refused():
    with pytest.raises(ValueError, match=r"MLP: each layer size in nouts must be a positive int, "
                                         r"got -1"):
        MLP(2, [3, -1])


def test_an_mlp_called_with_the_wrong_number_of_inputs_says_both():
    with pytest.raises(ValueError, match=r"MLP expects 2 inputs, got 3"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])


def test_an_mlp_called_with_a_number_asks_for_a_sequence():
    with pytest.raises(ValueError, match=r"MLP expects a sequence of 2 numbers, got float"):
        MLP(2, [1], seed=0)(1.0)


def test_an_mlp_input_that_is_not_finite_is_named():
    with pytest.raises(ValueError, match=r"MLP input: got nan"):
        MLP(2, [1], seed=0)([float("nan"), 1.0])


def test_a_neuron_called_with_the_wrong_number_of_inputs_says_both():
    with pytest.raises(ValueError, match=r"Neuron expects 2 inputs, got 1"):
        Neuron(2, seed=0)([1.0])


def test_a_layer_called_with_the_wrong_number_of_inputs_says_both():
    with pytest.raises(ValueError, match=r"Layer expects 2 inputs, got 1"):
        Layer(2, 1, seed=0)([Value(1.0)])


def test_a_neuron_whose_weights_no_longer_fit_its_layer_is_named():
    layer = Layer(2, 2, seed=0)
    layer.neurons[1].w.append(Value(0.1))
    with pytest.raises(ValueError, match=r"neuron 2 has 3 weights for 2 inputs; a neuron needs "
                                         "one weight per input"):
        layer([1.0, 2.0])


def test_load_weights_with_too_few_layers_says_both_counts():
    mlp = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"W: expected 2 layers, got 1"):
        mlp.load_weights(mlp.weights()[:1], mlp.biases())


def test_load_weights_with_a_number_for_a_layer_names_the_place():
    mlp = MLP(2, [3, 1], seed=0)
    W = mlp.weights()
    W[1] = 0.5
    with pytest.raises(ValueError, match=r"W\[1\]: expected a sequence of 1 rows \(neurons\), "
                                         "got float"):
        mlp.load_weights(W, mlp.biases())


def test_load_weights_with_a_short_row_names_it():
    mlp = MLP(2, [3, 1], seed=0)
    W = mlp.weights()
    W[0][2] = [0.1]
    with pytest.raises(ValueError, match=r"W\[0\]\[2\]: expected 2 weights \(inputs\), got 1"):
        mlp.load_weights(W, mlp.biases())


def test_load_weights_with_biases_for_too_few_layers_names_b():
    mlp = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"^B: expected 2 layers, got 1$"):
        mlp.load_weights(mlp.weights(), mlp.biases()[:1])


def test_load_weights_with_a_short_bias_vector_names_it():
    mlp = MLP(2, [3, 1], seed=0)
    B = mlp.biases()
    B[0] = [0.0]
    with pytest.raises(ValueError, match=r"B\[0\]: expected 3 biases, got 1"):
        mlp.load_weights(mlp.weights(), B)


def test_load_weights_with_a_bad_number_names_its_place():
    mlp = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match=r"B\[0\]\[0\]: got inf"):
        mlp.load_weights(mlp.weights(), [[float("inf")]])


def test_a_refused_load_changes_nothing():
    mlp = MLP(2, [1], seed=0)
    before = mlp.weights(), mlp.biases()
    with pytest.raises(ValueError):
        mlp.load_weights([[[9.0, 9.0]]], [[float("inf")]])
    assert (mlp.weights(), mlp.biases()) == before


def test_from_dict_names_what_is_missing():
    with pytest.raises(ValueError, match=r"MLP.from_dict: missing 'nin'"):
        MLP.from_dict({k: v for k, v in MLP(2, [1], seed=0).to_dict().items() if k != "nin"})


def test_a_layer_called_with_numbers_makes_them_input_values_not_hidden_constants():
    zs, _ = Layer(2, 1, seed=0).forward([1.0, 2.0])
    inputs = zs[0].parents[2:4]  # parents (w_1, w_2, a_1, a_2, b)
    assert [x.data for x in inputs] == [1.0, 2.0]
    assert not any(isinstance(x, Const) for x in inputs)
